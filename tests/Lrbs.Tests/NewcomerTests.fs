/// What a newcomer meets first: mistakes in YAML files and on the command line reported at their
/// line and column with a suggestion, every problem of a file at once, `sweep plan` making every
/// check `sweep run` makes, readable query output, a word on Ctrl-C, and exit 2 (never a crash)
/// for bad input whatever is loading at that moment.
module Lrbs.Tests.NewcomerTests

open System
open System.Diagnostics
open System.IO
open System.Runtime.InteropServices
open System.Text.Json
open NUnit.Framework
open Lrbs.Tests.Support

let private root = Lrbs.Core.Data.Registry.repositoryRoot ()

/// A folder with a model file whose 5th line has a typo, and sweep files around it.
let private files (tmp: TempDir) =
    File.WriteAllText(
        tmp.File "cnn.yaml",
        "name: my-cnn\nlayers:\n  - conv2d: {filters: 8, kernel: 3, activation: relu}\n  - max_pool2d: {}\n  - conv2d: {filters: 8, kernal: 3}\n  - flatten\n  - dense: {units: 10, activation: softmax}\n"
    )

[<Test>]
let ``a typo on line 5 of a model file is reported on line 5, at its column, with the layer numbered from 1`` () =
    use tmp = new TempDir()
    files tmp
    let code, _, err = CliTests.run [ "model"; "show"; tmp.File "cnn.yaml"; "--dataset"; "fashion-mnist" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"""{tmp.File "cnn.yaml"}:5:26: layer 3 of 5 (conv2d): unknown key 'kernal' (did you mean 'kernel'?)""", err)

[<Test>]
let ``an unknown layer in an inline model is reported at its own line, with one path`` () =
    use tmp = new TempDir()
    let f = tmp.File "s.yaml"
    let out = tmp.File "out"

    File.WriteAllText(
        f,
        $"name: s\ndataset: fashion-mnist\nmodel:\n  name: inline\n  layers:\n    - flatten\n    - densse: {{units: 10, activation: softmax}}\nout: {out}\n"
    )

    let code, _, err = CliTests.run [ "sweep"; "plan"; f ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"error: {f}:7:7: layer 2 of 2: unknown layer 'densse' (did you mean 'dense'?)", err)
    Assert.That(err.Split(f).Length - 1, Is.EqualTo 1, "the path once")

[<Test>]
let ``a tab that breaks the indentation is reported on its own line`` () =
    use tmp = new TempDir()
    let f = tmp.File "tab.yaml"
    File.WriteAllText(f, "name: s\ndataset: fashion-mnist\nmodel: mlp-100-50\n\tbatch_size: 3\n")
    let code, _, err = CliTests.run [ "sweep"; "plan"; f ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"{f}:4:", err)
    StringAssert.Contains("replace the tab", err)

[<Test>]
let ``every problem of a sweep file is listed in one run, each at its line with a suggestion`` () =
    use tmp = new TempDir()
    files tmp
    let f = tmp.File "keys.yaml"
    let cnn, out = tmp.File "cnn.yaml", tmp.File "out"
    // unknown keys, a model file's bad key and bad values of keys that parsed, all in one run
    File.WriteAllText(f, $"name: s\ndataset: fashon-mnist\nepochs: 3\nmodel: {cnn}\nlearning_rate: 0.1\noptimiser: adam\nbatch_size: 0\nout: {out}\n")
    let code, _, err = CliTests.run [ "sweep"; "plan"; f ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"6 problems in {f}:", err)
    StringAssert.Contains($"{f}:2:10: dataset: unknown dataset 'fashon-mnist' (did you mean 'fashion-mnist'?)", err)
    StringAssert.Contains($"{f}:7:13: batch_size: expected an integer >= 1, got '0'", err)
    StringAssert.Contains($"{f}:3:1: epochs: unknown key 'epochs' (did you mean 'max_epochs'?)", err)
    StringAssert.Contains($"{f}:5:1: learning_rate: unknown key 'learning_rate' (did you mean 'lr'?)", err)
    StringAssert.Contains($"{f}:6:1: optimiser: unknown key 'optimiser' (did you mean 'optimizer'?)", err)
    StringAssert.Contains($"""{tmp.File "cnn.yaml"}:5:26: layer 3 of 5 (conv2d): unknown key 'kernal'""", err)
    Assert.That(Directory.Exists(tmp.File "out"), Is.False)

[<Test>]
let ``a trial's every bad key is listed at once, each at its line`` () =
    use tmp = new TempDir()
    let f = tmp.File "bad.yaml"
    File.WriteAllText(f, "name: s\ndataset: fashon-mnist\noptimizer: adamm\nlr: -1\n")
    let code, _, err = CliTests.run [ "sweep"; "plan"; f ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"{f}:2:10: dataset: unknown dataset 'fashon-mnist' (did you mean 'fashion-mnist'?)", err)
    StringAssert.Contains($"{f}:3:12: optimizer: unknown optimizer 'adamm' (did you mean 'adam'?)", err)
    StringAssert.Contains($"{f}:4:5: lr:", err)

[<Test>]
let ``an option a newcomer guesses gets the one lrbs has suggested`` () =
    let code, _, err = CliTests.run [ "train"; "--dataset"; "mnist"; "--learning-rate"; "0.1"; "--epoch"; "2" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("'--learning-rate': did you mean '--lr'?", err)
    StringAssert.Contains("'--epoch': did you mean '--epochs'?", err)
    let code, _, err = CliTests.run [ "sweeps"; "plan"; "x.yaml" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("'sweeps': did you mean 'sweep'?", err)
    let code, _, err = CliTests.run [ "train"; "--dataset"; "fashion_mnist" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("unknown dataset 'fashion_mnist' (did you mean 'fashion-mnist'?)", err)

[<Test>]
let ``sweep plan makes every check sweep run makes, and a refused sweep leaves no folder`` () =
    use tmp = new TempDir()
    let f = tmp.File "big.yaml"
    let out = tmp.File "out"
    File.WriteAllText(f, $"name: big\ndataset: fashion-mnist\ntrain_limit: 100\nbatch_size: 500\nout: {out}\n")

    for command in [ "plan"; "run" ] do
        let code, _, err = CliTests.run [ "sweep"; command; f ]
        Assert.That(code, Is.EqualTo 2, command)
        StringAssert.Contains("batch size 500 is larger than the training set (100 rows)", err)
        Assert.That(Directory.Exists out, Is.False, command)
    // and through the real program (its supervisor and worker), the same
    use p = SweepTests.startHost [ "sweep"; "run"; f ]
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    Assert.That(p.ExitCode, Is.EqualTo 2, err)
    Assert.That(Directory.Exists out, Is.False)

[<Test>]
let ``sweep plan gives a searched grid's first round and the most trials its limits allow`` () =
    use tmp = new TempDir()
    let f = tmp.File "b.yaml"
    let out = tmp.File "out"

    File.WriteAllText(
        f,
        $"name: b\ndataset: fashion-mnist\ntrain_limit: 500\nlr: {{bracket: [0.001, 0.1], points: 3}}\ngrid:\n  batch_size: [16, 64]\nrepeats: 2\nout: {out}\n"
    )

    let code, out, err = CliTests.run [ "sweep"; "plan"; f ]
    Assert.That(code, Is.EqualTo 0, err)

    StringAssert.Contains(
        "a learning-rate search: 12 trials in round 0; at most 60 if every group of 2 uses its limits (3 points + max_extend 4 + max_refine 8",
        out
    )

[<Test>]
let ``results query prints a table, one column per line for wide rows, CSV or JSON`` () =
    let smoke = Path.Combine(root, "results", "smoke")

    let code, out, _ =
        CliTests.run [ "results"; "query"; smoke; "SELECT optimizer, count(*) AS n FROM trials GROUP BY 1 ORDER BY 1" ]

    Assert.That(code, Is.EqualTo 0)
    StringAssert.Contains("optimizer", out)
    StringAssert.Contains("2 rows", out)
    let code, out, _ = CliTests.run [ "results"; "query"; smoke; "SELECT * FROM trials ORDER BY trial_id LIMIT 1" ]
    Assert.That(code, Is.EqualTo 0)
    StringAssert.Contains("-[ row 1 ]", out)
    StringAssert.Contains("shown one column per line", out)

    let code, out, _ =
        CliTests.run [ "results"; "query"; smoke; "SELECT optimizer, count(*) AS n FROM trials GROUP BY 1 ORDER BY 1"; "--format"; "csv" ]

    Assert.That(code, Is.EqualTo 0)
    Assert.That(out.Replace("\r", ""), Is.EqualTo "optimizer,n\nadam,4\nsgd,4\n")

    let code, out, _ =
        CliTests.run
            [
                "results"
                "query"
                smoke
                "SELECT optimizer, count(*) AS n, max(lr) AS lr FROM trials GROUP BY 1 ORDER BY 1"
                "--format"
                "json"
            ]

    Assert.That(code, Is.EqualTo 0)
    let rows = JsonDocument.Parse(out).RootElement
    Assert.That(rows.GetArrayLength(), Is.EqualTo 2)
    Assert.That(rows[0].GetProperty("n").GetInt64(), Is.EqualTo 4L)
    Assert.That(rows[0].GetProperty("lr").GetDouble(), Is.EqualTo 0.01)
    let code, _, err = CliTests.run [ "results"; "query"; smoke; "SELECT 1"; "--format"; "xml" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("--format: unknown format 'xml'", err)
    let code, out, _ = CliTests.run [ "results"; "query"; "--help" ]
    Assert.That(code, Is.EqualTo 0)
    StringAssert.Contains("avg(test_metric)", out)
    StringAssert.Contains("box_predictions", out)

[<Test>]
let ``the queries results query's help shows run on today's columns`` () =
    let code, help, _ = CliTests.run [ "results"; "query"; "--help" ]
    Assert.That(code, Is.EqualTo 0)
    let examples = help.Split('\n') |> Array.filter (fun l -> l.TrimStart().StartsWith "lrbs results query results/smoke")
    Assert.That(examples.Length, Is.GreaterThanOrEqualTo 3)

    for line in examples do
        let sql = line.Split('"')[1]
        let code, _, err = CliTests.run [ "results"; "query"; Path.Combine(root, "results", "smoke"); sql ]
        Assert.That(code, Is.EqualTo 0, $"{sql}: {err}")

[<DllImport("libc")>]
extern int kill(int pid, int signal)

[<Test>]
let ``Ctrl-C on a sweep says how many trials are committed, that partial trials keep their checkpoints, and the command that resumes`` () =
    use tmp = new TempDir()
    let f = tmp.File "long.yaml"
    let out = tmp.File "out"

    File.WriteAllText(
        f,
        $"name: long\ndataset: fashion-mnist\ntrain_limit: 40000\nbatch_size: 4\ngrid:\n  lr: [0.01, 0.02, 0.03]\nstopping:\n  max_epochs: 50\nout: {out}\n"
    )

    use p = SweepTests.startHost [ "sweep"; "run"; f; "--workers"; "2" ]
    let err = p.StandardError.ReadToEndAsync()
    let stdout = p.StandardOutput.ReadToEndAsync()
    let checkpoints = Path.Combine(out, "checkpoints")
    let deadline = DateTime.UtcNow.AddSeconds 120.0

    while not (Directory.Exists checkpoints && Directory.GetFiles(checkpoints, "*.ckpt").Length > 0)
          && DateTime.UtcNow < deadline
          && not p.HasExited do
        Threading.Thread.Sleep 200

    Assert.That(p.HasExited, Is.False, "the sweep should still be training")
    // SIGINT, as Ctrl-C sends it. A process started in the background of a non-interactive shell
    // (nohup, `cmd &` in a script) inherits SIGINT ignored, and so does the sweep, as Unix means
    // it to: a run of the suite started that way sends SIGTERM, which the sweep handles alike.
    let sigintIgnored =
        File.ReadAllLines "/proc/self/status"
        |> Array.tryFind (fun l -> l.StartsWith "SigIgn:")
        |> Option.map (fun l -> (Convert.ToUInt64(l.Substring(7).Trim(), 16) &&& 2UL) <> 0UL)
        |> Option.defaultValue false

    kill (p.Id, (if sigintIgnored then 15 else 2)) |> ignore
    Assert.That(p.WaitForExit 60000, Is.True)
    StringAssert.Contains($"interrupted: 0 of 3 trials are committed in {out}", err.Result)
    StringAssert.Contains("keep their checkpoints", err.Result)
    StringAssert.Contains($"Run the same command to go on: lrbs sweep run {f} --workers 2", err.Result)
    ignore stdout.Result

/// Runs the built program `n` times and returns the exit codes.
let private exits (n: int) (args: string list) =
    [
        for _ in 1..n ->
            use p = SweepTests.startHost args
            let err = p.StandardError.ReadToEndAsync()
            p.StandardOutput.ReadToEnd() |> ignore
            p.WaitForExit()
            ignore err.Result
            p.ExitCode
    ]

[<Test>]
let ``a missing data folder and a truncated IDX file exit 2 every time, never with a crash while the engine loads`` () =
    use tmp = new TempDir()
    let missing = exits 20 [ "train"; "--dataset"; "fashion-mnist"; "--data-dir"; tmp.File "no-such-dir" ]
    let source = "/usr/share/datasets/fashion-mnist"
    let truncated = tmp.File "truncated"
    Directory.CreateDirectory truncated |> ignore

    for f in Directory.GetFiles source do
        File.Copy(f, Path.Combine(truncated, Path.GetFileName f))

    let images = Path.Combine(truncated, "train-images-idx3-ubyte.gz")
    File.WriteAllBytes(images, File.ReadAllBytes(images)[..4999])
    let cut = exits 20 [ "train"; "--dataset"; "fashion-mnist"; "--data-dir"; truncated ]
    assertEq (List.replicate 20 2) missing
    assertEq (List.replicate 20 2) cut
