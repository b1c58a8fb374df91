module Lrbs.Tests.ParityTests

open System
open System.IO
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Engine
open Lrbs.Core.Optimizers
open Lrbs.Core.Training
open Lrbs.Core.Surface
open Lrbs.Host.Parity
open Python.Runtime

let root () = Lrbs.Core.Data.Registry.repositoryRoot ()

let private cases (filter: string) = ParityCases.All(ParityCases.DefaultSteps) |> Seq.filter (fun c -> c.Name.Contains filter) |> List.ofSeq

let private runAgainst (bridge: IReference) (cs: ParityCase list) engine =
    use tmp = new TempDir()
    ParityRunner.Run(ResizeArray cs, bridge, tmp.Path, Func<_, _>(engine))

let private describe (results: seq<CaseResult>) =
    results
    |> Seq.map (fun r -> $"{r.Case.Name}: {r.Verdict} {r.Note} loss %A{r.Loss} grads %A{r.Gradients} weights %A{r.Weights}")
    |> String.concat "\n"

[<Test>]
let ``the parity matrix passes against the Python float64 reference`` () =
    let results =
        runAgainst (PythonReference.Create(root ())) (List.ofSeq (ParityCases.All(ParityCases.DefaultSteps))) ParityRunner.Engine
    // the matrix comes from the registries: every optimizer and preset, every layer kind (but dropout,
    // whose masks are random) and every activation is in it, each at batch sizes 1, 4 and 64
    let names = results |> Seq.map (fun r -> r.Case.Name) |> List.ofSeq
    let has (part: string) = names |> List.filter (fun n -> n.Contains part) |> List.length

    for o in Lrbs.Core.Optimizers.OptimizerSpec.names do
        Assert.That(has $"| {o} | batch 1", Is.GreaterThan 0, o)

    for d in Lrbs.Core.Models.LayerRegistry.all do
        Assert.That(has $"probe {d.Name} |", Is.EqualTo(if d.Probe |> Result.isOk then 6 else 0), d.Name)

    for a in Lrbs.Core.Models.Activations.all |> List.filter (fun a -> a.Name <> "softmax") do
        Assert.That(has $"probe {a.Name} |", Is.EqualTo 6, a.Name)

    let failed = results |> Seq.filter (fun r -> r.Verdict <> "PASS")
    Assert.That(Seq.isEmpty failed, Is.True, describe failed)

/// The TensorFlow.js matrix as the test suite runs it: every case but the two CNNs' batch-64 cases
/// with other optimizers than the bias-corrected Adam. TensorFlow.js's CPU backend needs about
/// 20 s per such case (128x128 box images, 8x8x3 S4 images at batch 64): they took about two
/// thirds of the suite's time. `./lrbs parity` runs them all (results/parity/parity-tfjs.txt), and
/// the float64 oracle's matrix, which the suite runs whole, covers every batch-64 case.
let tfjsSuiteCase (c: ParityCase) =
    let cnn = c.Name.StartsWith "cnn (S4" || c.Name.StartsWith "box-cnn"
    not (cnn && c.Name.EndsWith "| batch 64") || c.Name.Contains "| adam-bias-corrected |"

[<Test>]
let ``the parity matrix passes against TensorFlow.js, save where TensorFlow.js itself is off`` () =
    let all = List.ofSeq (ParityCases.All(ParityCases.DefaultSteps))
    let cases = all |> List.filter tfjsSuiteCase
    let left = all |> List.filter (tfjsSuiteCase >> not)

    Assert.That(
        left |> List.forall (fun c -> c.Name.Contains "cnn" && c.Name.EndsWith "| batch 64"),
        Is.True,
        "only the slow CNN cases at batch 64 are left out"
    )

    Assert.That(
        cases |> List.exists (fun c -> c.Name.StartsWith "cnn (S4" && c.Name.EndsWith "| batch 64"),
        Is.True,
        "the known TensorFlow.js-side failure still runs"
    )

    let results = runAgainst (ReferenceBridge.Tfjs(root ())) cases ParityRunner.Engine
    let byVerdict v = results |> Seq.filter (fun r -> r.Verdict = v) |> List.ofSeq
    // TensorFlow.js lacks what the definitions say it lacks (their Tfjs entries: Keras's momentum form
    // and epsilon placement, weight decay, AdamW, LARS, LAMB, elu with alpha other than 1), and it
    // has only clipped cross-entropies.
    let tfjsLacks (c: ParityCase) =
        (c.Optimizer.Kind.Tfjs c.Optimizer.Settings |> Result.isError)
        || (c.Spec.Layers |> List.exists (fun l -> l.Def.Tfjs l.Args |> Result.isError))
        || (Lrbs.Core.Losses.Loss.name c.Loss).EndsWith "_logits"

    assertEq
        (results |> Seq.filter (fun r -> tfjsLacks r.Case) |> Seq.map (fun r -> r.Case.Name) |> Set.ofSeq)
        (byVerdict "SKIP" |> List.map (fun r -> r.Case.Name) |> Set.ofList)

    Assert.That(results.Count - (byVerdict "SKIP").Length, Is.GreaterThan 100, "most of the matrix runs in TensorFlow.js")
    let failed = byVerdict "FAIL"
    Assert.That(failed.Length, Is.LessThanOrEqualTo 1, describe failed)
    // A failure is only acceptable where our engine matches the float64 oracle on the same case:
    // then TensorFlow.js is at least (our gap to it - our gap to the oracle) away from exact maths.
    if not failed.IsEmpty then
        let oracle = runAgainst (PythonReference.Create(root ())) (failed |> List.map (fun r -> r.Case)) ParityRunner.Engine

        for r, o in Seq.zip failed oracle do
            Assert.That(o.Verdict, Is.EqualTo "PASS", describe [ o ])
            Assert.That(o.Weights.MaxAbs * 10.0, Is.LessThan r.Weights.MaxAbs, describe [ r; o ])

[<Test>]
let ``a wrong update rule makes the comparison fail while the first gradients still agree`` () =
    let cs = cases "| adam |" |> List.filter (fun c -> c.Name.StartsWith "mlp")
    // Adam with beta1 0.8 where the case asks for Keras's 0.9.
    let wrong = Lrbs.Tests.OptimizerOracle.optimizerWith "adam" [ "beta1", 0.8 ]
    let broken (c: ParityCase) = ParityInputs.Trace(wrong, c.Spec, c.Loss, c.Weights, c.Batches, c.LearningRates)
    let results = runAgainst (PythonReference.Create(root ())) cs broken
    Assert.That(results.Count, Is.EqualTo 12)

    for r in results do
        Assert.That(r.Verdict, Is.EqualTo "FAIL", r.Case.Name)
        Assert.That(r.Gradients.Within, Is.True, "the first gradients are still right: only the update is wrong")
        Assert.That(r.Weights.Within, Is.False)

[<Test>]
let ``the two momentum forms are told apart: Keras momentum against the PyTorch-form reference fails`` () =
    let c = cases "mlp-relu (S1/S2) | categorical_crossentropy_logits | sgd-momentum-torch | batch 4" |> List.exactlyOne

    let kerasForm (c: ParityCase) =
        ParityInputs.Trace(Lrbs.Tests.OptimizerOracle.optimizerWith "sgd" [ "momentum", 0.9 ], c.Spec, c.Loss, c.Weights, c.Batches, c.LearningRates)

    let r = runAgainst (PythonReference.Create(root ())) [ c ] kerasForm |> Seq.exactlyOne
    Assert.That(r.Verdict, Is.EqualTo "FAIL", "the learning rate halves mid-case, so the forms must part")

/// The children of process `parent` that run a python program, as /proc shows them now. The
/// program's name (comm), not the command line: a child the host forks to run git has, until it
/// execs, the host's own command line, and that names python (`--reference python`).
let private pythonChildren (parent: int) =
    Directory.GetDirectories "/proc"
    |> Array.filter (fun d ->
        try
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'
            let stat = File.ReadAllText(Path.Combine(d, "stat"))
            let ppid = int (stat.Substring(stat.LastIndexOf ')' + 2).Split(' ').[1])
            ppid = parent && File.ReadAllText(Path.Combine(d, "comm")).Trim().StartsWith "python"
        with _ ->
            false) // not a process folder, or the process ended while we read it
    |> Array.map Path.GetFileName

/// Runs the built CLI as a child process with `env`; returns (exit code, stdout, stderr, the
/// python children seen while it ran, polled every few milliseconds).
let private hostWatchingPython (env: (string * string) list) (args: string list) =
    use child = SweepTests.startHostWith env args
    let out, err = child.StandardOutput.ReadToEndAsync(), child.StandardError.ReadToEndAsync()
    let seen = Collections.Generic.HashSet<string>()

    while not child.HasExited do
        for pid in pythonChildren child.Id do
            seen.Add pid |> ignore

        Threading.Thread.Sleep 5

    child.WaitForExit()
    child.ExitCode, out.Result, err.Result, List.ofSeq seen

[<Test>]
let ``lrbs parity --reference python answers in process and starts no python process`` () =
    use tmp = new TempDir()
    // The old bridge ran python3 run_case.py (and python3 -c "import numpy") as children of the host for seconds.
    let filter = "multi-label head | binary_crossentropy | sgd"

    let code, out, err, pythons =
        hostWatchingPython [] [ "parity"; "--reference"; "python"; "--filter"; filter; "--out"; tmp.Path ]

    Assert.That(code, Is.EqualTo 0, err)
    let n = (cases filter).Length
    Assert.That(n, Is.GreaterThanOrEqualTo 9)
    StringAssert.Contains($"{n} PASS, 0 FAIL, 0 SKIP", out)
    StringAssert.Contains("reference: numpy", out)
    Assert.That(pythons, Is.Empty, "python processes started by the host")

[<Test>]
let ``a missing node or python names what is missing and how to install it`` () =
    use tmp = new TempDir()
    let c = cases "multi-label head | binary_crossentropy | sgd | batch 1"
    let tfjs = ReferenceBridge.Tfjs(root ())
    let bridge = ReferenceBridge(tfjs.Name, "/nonexistent/node", tfjs.Script, tfjs.InstallHint)

    let e =
        Assert.Throws<ReferenceException>(fun () -> ParityRunner.Run(ResizeArray c, bridge, tmp.Path, Func<_, _>(ParityRunner.Engine)) |> ignore)

    StringAssert.Contains("'/nonexistent/node', which was not found", e.Message)
    StringAssert.Contains("apt-get install nodejs", e.Message)
    Assert.That(e.MissingDependency, Is.True)
    // pythonnet starts one interpreter per process and this one already has Debian's: a missing
    // libpython is tried in a fresh host process, through the CLI (exit 3: the machine's setup).
    let code, out, err, _ =
        hostWatchingPython [ "LRBS_LIBPYTHON", "/nonexistent/libpython.so" ] [ "parity"; "--reference"; "python"; "--filter"; c.Head.Name; "--out"; tmp.Path ]

    Assert.That(code, Is.EqualTo 3, err)
    StringAssert.Contains("error: the python reference needs libpython, and /nonexistent/libpython.so was not found", err)
    StringAssert.Contains("apt-get install libpython3.11", err)
    Assert.That(err, Does.Not.Contain "   at ", "no stack trace")
    Assert.That(out, Is.Empty)

[<Test>]
let ``a malformed case file is reported by the reference with the file`` () =
    use tmp = new TempDir()
    let c = cases "multi-label head | binary_crossentropy | sgd | batch 1" |> List.exactlyOne
    let dir = tmp.File "case"
    CaseFiles.Write(c, dir)
    File.WriteAllText(Path.Combine(dir, "w0.npy"), "garbage")

    for bridge in [ ReferenceBridge.Tfjs(root ()) :> IReference; PythonReference.Create(root ()) ] do
        let e = Assert.Throws<ReferenceException>(fun () -> bridge.Run(ResizeArray [ dir ], 1) |> ignore)
        StringAssert.Contains($"the {bridge.Name} reference", e.Message)
        StringAssert.Contains("w0.npy", e.Message)

    File.WriteAllText(Path.Combine(dir, "case.json"), "{ not json")
    let e = Assert.Throws<ReferenceException>(fun () -> (ReferenceBridge.Tfjs(root ())).Run(ResizeArray [ dir ], 1) |> ignore)
    StringAssert.Contains("JSON", e.Message)

[<Test>]
let ``npy files written for the references read back in numpy`` () =
    use tmp = new TempDir()
    let f = tmp.File "a.npy"
    Npy.Write(f, [| 2; 3 |], [| 1.0f; 2.0f; 3.0f; 4.0f; 5.0f; 6.5f |])
    // The numpy of the interpreter the Python reference runs on.
    EmbeddedPython.EnsureStarted() |> ignore
    use _ = Py.GIL()
    use scope = Py.CreateScope()

    scope.Exec($"import numpy as np\na = np.load({Text.Json.JsonSerializer.Serialize f})\nout = f'{{a.dtype}} {{a.shape}} {{a[1, 2]}}'")
    |> ignore

    Assert.That(scope.Get("out").As<string>(), Is.EqualTo "float32 (2, 3) 6.5")

[<Test>]
let ``the float64 oracle checks itself: every layer's gradient against finite differences, every optimizer step by hand`` () =
    // reference/python/selfcheck.py builds its own cases; Debian's python3 with numpy (python3-numpy)
    let psi =
        Diagnostics.ProcessStartInfo("/usr/bin/python3", [ IO.Path.Combine(root (), "reference", "python", "selfcheck.py") ])

    psi.RedirectStandardOutput <- true
    psi.RedirectStandardError <- true
    use p = Diagnostics.Process.Start psi
    let out = p.StandardOutput.ReadToEnd()
    let err = p.StandardError.ReadToEnd()
    p.WaitForExit()
    Assert.That(p.ExitCode, Is.EqualTo 0, out + err)
    StringAssert.Contains("all checks pass", out)
    Assert.That(out.Split('\n') |> Array.filter (fun l -> l.StartsWith "ok ") |> Array.length, Is.GreaterThan 40)
