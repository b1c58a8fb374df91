module Lrbs.Tests.BenchTests

open System.IO
open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Host.Bench
open Lrbs.Host.Storage
open Lrbs.Core.Training
open Lrbs.Core.Models

[<Test>]
let ``the bench measures lrbs through its production code and a missing peer is a skipped row with the reason`` () =
    use tmp = new TempDir()
    let peers: Peer list = [ PyTorchEager("/nonexistent/python3"); TfjsWasm("/nonexistent/node") ]

    let options =
        BenchOptions(true, 1, ResizeArray peers, System.Collections.Generic.HashSet [ "roofline"; "training"; "sweep"; "noise"; "pack"; "checkpoints" ])

    let rows = BenchRunner(options, ignore).Run(tmp.File "work")
    // the machine's bounds, and every lrbs case graded against them
    Assert.That(BenchTable.Machine(ResizeArray rows, "1 thread"), Is.Not.Null)
    Assert.That(BenchTable.Machine(ResizeArray rows, "2 threads"), Is.Not.Null)
    let bounds = BenchTable.Bounds(ResizeArray rows)
    Assert.That(bounds.Count, Is.EqualTo(Seq.length (BenchRunner.TrainingCases true)))
    Assert.That(bounds |> Seq.forall (fun b -> b.Fraction > 0.0 && b.Gflops > 0.0), Is.True)
    let lrbs = rows |> Seq.filter (fun r -> r.Part = "training" && r.System = "lrbs") |> List.ofSeq
    Assert.That(lrbs.Length, Is.EqualTo(Seq.length (BenchRunner.TrainingCases true)))
    Assert.That(lrbs |> List.forall (fun r -> r.Seconds.HasValue && r.Seconds.Value > 0.0 && r.Note = null), Is.True)
    // S7's box CNN is also timed through its whole network: what caching its constant prefix saves
    let whole = rows |> Seq.filter (fun r -> r.Part = "training" && r.System = "lrbs whole network") |> List.ofSeq
    assertEq [ "boxcnn" ] (whole |> List.map (fun r -> r.Model) |> List.distinct)
    Assert.That(whole |> List.forall (fun r -> r.Seconds.HasValue && r.Note.Contains "took"), Is.True)
    // ... and with ATen's im2col kernels instead of the direct kernel for its narrow convolutions
    let im2col = rows |> Seq.filter (fun r -> r.Part = "training" && r.System = "lrbs im2col conv") |> List.ofSeq
    assertEq [ "boxcnn" ] (im2col |> List.map (fun r -> r.Model) |> List.distinct)
    Assert.That(im2col |> List.forall (fun r -> r.Seconds.HasValue && r.Seconds.Value > 0.0 && r.Note.Contains "im2col"), Is.True)
    // ... and S2's MLP with its Dense layers through ATen's operations instead of the direct kernels
    let atenDense = rows |> Seq.filter (fun r -> r.Part = "training" && r.System = "lrbs aten dense") |> List.ofSeq
    assertEq [ "mlp" ] (atenDense |> List.map (fun r -> r.Model) |> List.distinct)
    assertEq (lrbs |> List.filter (fun r -> r.Model = "mlp") |> List.length) atenDense.Length
    Assert.That(atenDense |> List.forall (fun r -> r.Seconds.HasValue && r.Seconds.Value > 0.0 && r.Note.Contains "ATen"), Is.True)

    for r in rows |> Seq.filter (fun r -> r.Part = "training" && not (r.System.StartsWith "lrbs")) do
        Assert.That(r.Seconds.HasValue, Is.False)
        let peer = peers |> List.find (fun p -> p.Name = r.System)
        // a peer that does not implement the case's model says so; one that does but is missing names what it looked for
        if peer.Models.Contains r.Model then
            StringAssert.Contains("/nonexistent/", r.Note)
        else
            StringAssert.Contains($"{peer.Name} implements", r.Note)

    let ratios = BenchTable.Ratios(ResizeArray rows)
    // every missing peer is skipped; the engine's own variants (measured in this run) never are
    let ownVariants = set [ "lrbs whole network"; "lrbs im2col conv"; "lrbs aten dense" ]
    Assert.That(ratios |> Seq.forall (fun r -> (r.Verdict = "skipped") = not (ownVariants.Contains r.Peer.System)), Is.True)
    Assert.That(ratios |> Seq.filter (fun r -> ownVariants.Contains r.Peer.System) |> Seq.length, Is.EqualTo(whole.Length + im2col.Length + atenDense.Length))
    Assert.That((BenchTable.SweepSpeedup(ResizeArray rows)).HasValue, Is.True)
    Assert.That(rows |> Seq.filter (fun r -> r.Part = "noise") |> Seq.length, Is.EqualTo 2, "with and without the noise scale")
    let packs = rows |> Seq.filter (fun r -> r.Part = "pack") |> List.ofSeq

    assertEq
        [
            "lrbs unpacked (2 workers)"
            "lrbs packed (2 workers)"
            "pytorch one process per trial (2 at a time)"
            "pytorch vmap packs (2 processes)"
        ]
        (packs |> List.map (fun r -> r.System))

    StringAssert.Contains("/nonexistent/python3", packs[2].Note)
    StringAssert.Contains("/nonexistent/python3", packs[3].Note)

    for r in packs |> List.take 2 do
        StringAssert.Contains("engine peak", r.Note)
        Assert.That(r.Note, Does.Not.Contain "ABOVE the bound", r.Note)
    // a checkpoint's cost: the same epoch with and without its save, through the sweep's CheckpointStore
    let saves = rows |> Seq.filter (fun r -> r.Part = "checkpoints") |> List.ofSeq
    assertEq [ "lrbs epoch"; "lrbs epoch + checkpoint" ] (saves |> List.map (fun r -> r.System))
    Assert.That(saves[1].Seconds.Value, Is.GreaterThan saves[0].Seconds.Value)
    StringAssert.Contains("MiB", saves[1].Note)
    let path = tmp.File "bench.parquet"
    BenchTable.Save(ResizeArray rows, path, "test")
    use db = new Sql()
    let skipped = db.Query($"SELECT count(*) FROM read_parquet('{path}') WHERE verdict = 'skipped' AND note IS NOT NULL")
    Assert.That(skipped.Rows[0][0], Is.EqualTo(string (rows |> Seq.filter (fun r -> r.Part = "training" && not (r.System.StartsWith "lrbs")) |> Seq.length)))

[<Test>]
let ``ratios compare lrbs with each peer against the issue's targets`` () =
    let row system b seconds = BenchRow("training", $"case {b}", "mlp", "sgd", b, system, System.Nullable seconds, 10, "", null)

    let rows =
        ResizeArray [ row "lrbs" 4 1.0; row "pytorch" 4 2.5; row "libtorch" 4 0.5; row "lrbs" 64 1.0; row "pytorch" 64 0.9 ]

    let verdicts =
        BenchTable.Ratios rows |> Seq.map (fun r -> r.Peer.System, r.Peer.BatchSize, r.Value.Value, r.Verdict) |> List.ofSeq

    assertEq [ "pytorch", 4, 0.4, "met"; "libtorch", 4, 2.0, "MISSED"; "pytorch", 64, 1.0 / 0.9, "MISSED" ] verdicts

[<Test>]
let ``the fixed part a whole-command ratio allows follows from the training spans`` () =
    let row part system seconds = BenchRow(part, "8 short trials", "mlp-100-50", "sgd", 0, system, System.Nullable seconds, 8, "", null)

    let rows t1 t2 whole =
        ResizeArray [ row "startup-sweep" "1 worker" whole; row "startup-training" "1 worker" t1; row "startup-training" "2 workers" t2 ]
    // training 2.0 s and 1.0 s: (F + 2) / (F + 1) = 1.8 at F = 0.25; the command's own part is 3.0 - 2.0
    let struct (allowed, now) = (BenchTable.FixedPartFor(rows 2.0 1.0 3.0, 1.8)).Value
    Assert.That(allowed, Is.EqualTo(0.25).Within(1e-12))
    Assert.That(now, Is.EqualTo(1.0).Within(1e-12))
    Assert.That((allowed + 2.0) / (allowed + 1.0), Is.EqualTo(1.8).Within(1e-12))
    // training that scales by less than the target leaves no room at all
    let struct (none, _) = (BenchTable.FixedPartFor(rows 2.0 1.25 3.0, 1.8)).Value
    Assert.That(none, Is.LessThan 0.0)
    Assert.That(BenchTable.FixedPartFor(ResizeArray [ row "startup-training" "1 worker" 2.0 ], 1.8).HasValue, Is.False)

[<Test>]
let ``the roofline bound is the larger of compute and the memory level that holds the working set`` () =
    let level name mib gbs : Lrbs.Core.Engine.Roofline.Stream = { Level = { Name = name; Bytes = int64 mib * 1048576L }; GBs = gbs }

    let m: Lrbs.Core.Engine.Roofline.Machine =
        {
            Threads = 1
            Side = 2048
            Gflops = 100.0
            Bandwidth = [| level "L2" 1 100.0; level "L3" 16 50.0; level "memory" 256 10.0 |]
        }
    // 1 GFLOP moving 1 MB within L2: compute, 10 ms
    let b = Lrbs.Core.Engine.Roofline.bound m 1e9 1e6 5e5
    Assert.That(b.Seconds, Is.EqualTo(0.01).Within(1e-12))
    Assert.That(b.By, Is.EqualTo "compute")
    // 1 MFLOP moving 100 MB with an 8 MiB working set: L3 at 50 GB/s, 2 ms
    let b = Lrbs.Core.Engine.Roofline.bound m 1e6 1e8 (8.0 * 1048576.0)
    Assert.That(b.Seconds, Is.EqualTo(0.002).Within(1e-12))
    Assert.That(b.By, Is.EqualTo "L3")
    // a working set beyond every level is served by the last (memory)
    Assert.That((Lrbs.Core.Engine.Roofline.bound m 1.0 1e8 1e12).By, Is.EqualTo "memory")
    // the bench reads its machine back from its rows and grades each case against it
    let machine =
        [
            BenchRow("roofline", "sgemm 2048", "", "", 0, "1 thread", System.Nullable 0.1718, 2048, "", null, Flops = System.Nullable(2.0 * 2048.0 ** 3.0))
            BenchRow("roofline", "triad L2", "", "", 0, "1 thread", System.Nullable 0.001, 0, "", null, Bytes = System.Nullable 1e5)
        ]

    let case =
        BenchRow(
            "training",
            "S2 MLP sgd b=256",
            "mlp",
            "sgd",
            256,
            "lrbs",
            System.Nullable 1.0,
            100,
            "",
            null,
            Flops = System.Nullable 1e9,
            Bytes = System.Nullable 1e3,
            WorkingSet = System.Nullable 1e3
        )

    let b = (BenchTable.Bounds(ResizeArray(machine @ [ case ]))).[0]
    Assert.That(b.By, Is.EqualTo "compute")
    // 2 2048^3 FLOPs in 0.1718 s: 100.0 GFLOP/s; a step of 1 GFLOP in 10 ms (1 s / 100 steps) reaches its bound exactly
    Assert.That(b.Fraction, Is.EqualTo(1.0).Within(1e-3))
    Assert.That(b.Target, Is.EqualTo(System.Nullable 0.7))

[<Test>]
let ``a layer's FLOPs and a step's arithmetic follow their formulas on the S2 MLP`` () =
    let c = trial [ "dataset", "fashion-mnist"; "model", "mlp-100-50"; "optimizer", "sgd"; "batch_size", "4" ]
    let input = Lrbs.Core.Models.Shape.Image(1, 28, 28)
    let spec = (TrialConfig.modelSpec c input (Lrbs.Core.Models.Catalog.Head.Classes 10)) |> Result.defaultWith failwith
    let cost = ModelSpec.cost spec |> Result.defaultWith failwith
    // dense 784->100, 100->50, 50->10: forward 2 n u + 2 u each, backward 4 n u + 2 u
    let dense n u = 2.0 * n * u + 2.0 * u, 4.0 * n * u + 2.0 * u
    let layers = [ dense 784.0 100.0; dense 100.0 50.0; dense 50.0 10.0 ]
    Assert.That(cost.Forward, Is.EqualTo(layers |> List.sumBy fst))
    Assert.That(cost.Backward, Is.EqualTo(layers |> List.sumBy snd))
    Assert.That(cost.Forward + cost.Backward, Is.EqualTo 504040.0)
    // a step: 4 examples (layers + 5 per output for the loss) + 84,060 weights x 2 for SGD's update
    let step =
        Lrbs.Core.Training.StepCost.ofTrial c input (Lrbs.Core.Models.Catalog.Head.Classes 10) |> Result.defaultWith failwith

    Assert.That(step.Flops, Is.EqualTo(4.0 * (504040.0 + 50.0) + 84060.0 * 2.0))
    Assert.That(step.Bytes, Is.EqualTo(4.0 * (cost.Bytes + 4.0 * 784.0) + 4.0 * 84060.0 * 6.0))
    // model show prints each layer's forward FLOPs and the totals
    let summary = ModelSpec.summary spec |> Result.defaultWith failwith |> String.concat "\n"
    StringAssert.Contains("FLOPs per example: 168.12 K forward, 504.04 K forward and backward", summary)
    StringAssert.Contains("  2  dense ", summary)

[<Test>]
let ``bench refuses a bad repeat count`` () =
    let code, _, err = CliTests.run [ "bench"; "--repeat"; "0" ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains("--repeat: expected an integer >= 1, got '0'", err)

[<Test>]
let ``the start-up bench times ./lrbs from outside: the first step and peak memory from the process's own timing lines, the short sweep as whole commands`` () =
    if not (fashionMnistAvailable ()) then
        Assert.Ignore "dataset-fashion-mnist is not installed (./scripts/setup.sh installs it)"

    use tmp = new TempDir()
    let options = BenchOptions(true, 1, ResizeArray<Peer>(), System.Collections.Generic.HashSet [ "startup" ])
    let rows = BenchRunner(options, ignore).Run(tmp.File "work") |> List.ofSeq
    let startup = rows |> List.filter (fun r -> r.Part = "startup")
    assertEq [ "first step"; "first step, cold cache" ] (startup |> List.map (fun r -> r.System))

    for r in startup do
        Assert.That(r.Case, Is.EqualTo "fashion-mnist")
        // a first step, a peak from VmHWM, and the whole command (in the note) no shorter than the first step
        Assert.That(r.Seconds.Value, Is.GreaterThan 0.0)
        Assert.That(r.PeakGb.Value, Is.GreaterThan 0.01)
        let whole = System.Text.RegularExpressions.Regex.Match(r.Note, @"whole command ([0-9.]+) s").Groups[1].Value |> float
        Assert.That(whole, Is.GreaterThanOrEqualTo r.Seconds.Value)

    let sweeps = rows |> List.filter (fun r -> r.Part = "startup-sweep")
    assertEq [ "1 worker"; "2 workers"; "nothing to run" ] (sweeps |> List.map (fun r -> r.System))
    Assert.That(sweeps |> List.forall (fun r -> r.Seconds.Value > 0.0 && r.PeakGb.HasValue), Is.True)
    // nothing to run is the fixed part: shorter than training the 8 trials
    Assert.That(sweeps[2].Seconds.Value, Is.LessThan sweeps[0].Seconds.Value)
    Assert.That((BenchTable.WholeSweepSpeedup(ResizeArray rows)).HasValue, Is.True)
    // the same runs' training alone, from their trial rows: inside the whole command, and never
    // more trials at once than workers (the trials' own seconds over the span)
    let spans = rows |> List.filter (fun r -> r.Part = "startup-training")
    assertEq [ "1 worker"; "2 workers" ] (spans |> List.map (fun r -> r.System))

    for r, workers, whole in List.zip3 spans [ 1.0; 2.0 ] (List.take 2 sweeps) do
        Assert.That(r.Seconds.Value, Is.GreaterThan(0.0).And.LessThan(whole.Seconds.Value))
        let trialSeconds = System.Text.RegularExpressions.Regex.Match(r.Note, @"add up to ([0-9.]+) s").Groups[1].Value |> float
        Assert.That(trialSeconds, Is.GreaterThan 0.0)
        // finished_at is the wall clock and wall_seconds a monotonic one: 50 ms of room for the two
        Assert.That(trialSeconds, Is.LessThanOrEqualTo(workers * r.Seconds.Value + 0.05), $"{r.System}: more trials at once than workers")

    Assert.That((BenchTable.TrainingSpanSpeedup(ResizeArray rows)).HasValue, Is.True)
    let text = new StringWriter()
    BenchTable.Print(ResizeArray rows, text)
    StringAssert.Contains("whole-command throughput of 2 workers over 1", text.ToString())
    StringAssert.Contains("training alone, 2 workers over 1", text.ToString())
