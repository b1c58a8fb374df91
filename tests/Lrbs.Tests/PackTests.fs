module Lrbs.Tests.PackTests

open NUnit.Framework
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Training
open Lrbs.Tests.Support
open System
open System.IO

/// A small CNN with `filters` filters (<= 8 runs ATen's im2col kernels, more runs MKLDNN).
let private cnn filters =
    {
        Name = "p"
        Input = Shape.Image(2, 8, 8)
        Layers =
            [
                Layer.Conv2D(filters, 3, 1, Padding.Same, Activation.Relu)
                Layer.MaxPool2D 2
                Layer.Flatten
                Layer.Dense(3, Activation.Softmax)
            ]
    }

[<TestCase(4)>]
[<TestCase(12)>]
let ``members with their own batches train as they would alone, through both conv kernels`` (filters: int) =
    use _ = new Scope()
    let n = 12
    let x = T.ofFloat32 [| int64 n; 2L; 8L; 8L |] (Array.init (n * 128) (fun i -> float32 ((i * 13) % 29) / 29.0f))
    let y = T.ofInt64 [| int64 n |] (Array.init n (fun i -> int64 (i % 3)))
    let orders = [| Rng(1UL).Permutation n; Rng(2UL).Permutation n |]
    let loss = Loss.CrossEntropy LossForm.Logits
    use pack = Network.Create(cnn filters, loss, optimizer "adam", [| 5UL; 6UL |], false)
    let packOrder = T.ofInt64 [| 2L; int64 n |] (orders |> Array.collect (Array.map int64))
    let alone = [| 5UL; 6UL |] |> Array.map (fun s -> Network.Create(cnn filters, loss, optimizer "adam", [| s |], true))

    for start in [ 0; 4; 8 ] do
        Step.run pack { X = x; Y = y; Order = Some packOrder } start 4 [| 0.01; 0.003 |] 0

        alone
        |> Array.iteri (fun k net ->
            Step.run net { X = x; Y = y; Order = Some(T.ofInt64 [| int64 n |] (Array.map int64 orders[k])) } start 4 [| [| 0.01; 0.003 |][k] |] 0)

    alone
    |> Array.iteri (fun k net ->
        List.iter2
            (fun (a: KerasWeight) (b: KerasWeight) -> assertAllClose 1e-4 1e-6 (Array.map float a.Values) (Array.map float b.Values))
            (net.GetKerasWeights 0)
            (pack.GetKerasWeights k)

        (net :> System.IDisposable).Dispose())

/// Batch normalisation and a dense head, on images (per-channel statistics) or on vectors. The
/// layer before it is nonlinear everywhere (sigmoid, tanh): a bias that only shifts what batch
/// normalisation then centres has a gradient of exactly 0, whose float32 noise Adam's and LAMB's
/// normalisation turn into steps of about lr that differ between any two summation orders (the
/// pack's grouped convolution sums in another order than a single net's); sigmoid still passes its
/// bias mostly as a shift, so the comparison below allows 1% of a step.
let private bnNet image =
    if image then
        {
            Name = "bn"
            Input = Shape.Image(2, 8, 8)
            Layers =
                [
                    Layer.Conv2D(4, 3, 1, Padding.Same, Activation.Sigmoid)
                    Layer.BatchNorm
                    Layer.AveragePool2D 2
                    Layer.Conv2D(3, 3, 1, Padding.Same, Activation.Tanh)
                    Layer.GlobalAveragePool2D
                    Layer.Dense(3, Activation.Softmax)
                ]
        }
    else
        {
            Name = "bn"
            Input = Shape.Vector 128
            Layers = [ Layer.Dense(6, Activation.Tanh); Layer.BatchNorm; Layer.Dense(3, Activation.Softmax) ]
        }

[<Test>]
let ``every new layer and optimizer trains in a pack as alone, each member with its own state, and the noise scale leaves training as it was`` () =
    use _ = new Scope()
    let n = 12
    let data = Array.init (n * 128) (fun i -> float32 ((i * 13) % 29) / 29.0f)
    let y = T.ofInt64 [| int64 n |] (Array.init n (fun i -> int64 (i % 3)))
    let orders = [| Rng(1UL).Permutation n; Rng(2UL).Permutation n |]
    let loss = Loss.CrossEntropy LossForm.Logits

    for image in [ true; false ] do
        let x = if image then T.ofFloat32 [| int64 n; 2L; 8L; 8L |] data else T.ofFloat32 [| int64 n; 128L |] data

        for name in [ "rmsprop"; "lars"; "lamb"; "adamw" ] do
            let opt = optimizer name
            use pack = Network.Create(bnNet image, loss, opt, [| 5UL; 6UL |], false)
            let packOrder = T.ofInt64 [| 2L; int64 n |] (orders |> Array.collect (Array.map int64))
            let alone = [| 5UL; 6UL |] |> Array.map (fun s -> Network.Create(bnNet image, loss, opt, [| s |], true))

            for start in [ 0; 4; 8 ] do
                // the pack measures the noise scale every step (micro-batches of 2); the members alone do not
                Step.run pack { X = x; Y = y; Order = Some packOrder } start 4 [| 0.01; 0.003 |] 2

                alone
                |> Array.iteri (fun k net ->
                    Step.run net { X = x; Y = y; Order = Some(T.ofInt64 [| int64 n |] (Array.map int64 orders[k])) } start 4 [| [| 0.01; 0.003 |][k] |] 0)

            alone
            |> Array.iteri (fun k net ->
                // every array, the moving statistics too
                List.iter2
                    (fun (a: KerasWeight) (b: KerasWeight) ->
                        // 1e-4 is 1% of one step at lr 0.01: a member given another's state or statistics is off by the weights' own size
                        try
                            assertAllClose 1e-3 1e-4 (Array.map float a.Values) (Array.map float b.Values)
                        with e ->
                            Assert.Fail $"{name}, image {image}, member {k}, {a.Name}: {e.Message}")
                    (net.GetKerasWeights 0)
                    (pack.GetKerasWeights k)

                (net :> System.IDisposable).Dispose())

/// Per-step losses of every member through the production trainer.
let private runWithLosses (configs: TrialConfig[]) (data: Lrbs.Core.Data.SplitData) =
    let losses = Array.init configs.Length (fun _ -> ResizeArray<float>())

    let progress =
        { Progress.None with
            OnStepLosses = Some(fun members values -> Array.iter2 (fun m v -> losses[m].Add v) members values)
        }

    let results = Trainer.runPack configs data progress
    results, losses |> Array.map List.ofSeq

let private packOfSix (fields: (string * string) list) (lrs: string list) =
    [|
        for seed in [ "1"; "2" ] do
            for lr in lrs -> trial (fields @ [ "lr", lr; "seed", seed; "max_epochs", "1"; "batch_size", "16"; "train_limit", "3200" ])
    |]

[<TestCase("fashion-mnist", "mlp-100-50", "sgd")>]
[<TestCase("fashion-mnist", "mlp-100-50", "adam")>]
[<TestCase("boxes", "cnn-box", "sgd")>]
[<TestCase("boxes", "cnn-box", "adam")>]
let ``each member of a pack of 6 matches the same trial run alone, within the pack's memory bound`` (dataset: string, model: string, opt: string) =
    let lrs = if opt = "sgd" then [ "0.01"; "0.03"; "0.1" ] else [ "0.0003"; "0.001"; "0.003" ]

    let fields =
        [ "dataset", dataset; "model", model; "optimizer", opt ]
        @ (if dataset = "fashion-mnist" then [ "split", "80/20" ] else [])

    let configs = packOfSix fields lrs
    let data = prepared configs[0]
    let live = Runtime.memoryLive ()
    Runtime.memoryPeak true |> ignore
    let packed, packedLosses = runWithLosses configs data
    // the engine's peak while the pack trained stays within the pack's memory bound
    let peak = Runtime.memoryPeak false - live
    let bound = PackMemory.bound configs[0] data |> Result.defaultWith failwith
    Assert.That(peak, Is.LessThanOrEqualTo(bound.Total 6), $"engine peak {peak} B against the bound %A{bound}")
    Assert.That(peak, Is.GreaterThan(bound.Data), "the measurement sees the resident targets")

    for k, c in Array.indexed configs do
        let alone, aloneLosses = runWithLosses [| c |] data
        Assert.That(packedLosses[k].Length, Is.EqualTo 200)
        assertAllClose 1e-4 1e-7 (Array.ofList aloneLosses[0]) (Array.ofList packedLosses[k])
        Assert.That(packed[k].FinalTestMetric, Is.EqualTo(alone[0].FinalTestMetric).Within(0.002), $"member {k}")
        Assert.That(packed[k].PackSize, Is.EqualTo 6)
        Assert.That(TrialConfig.id packed[k].Config, Is.EqualTo(TrialConfig.id c))

[<Test>]
let ``a diverging member is recorded diverged and does not disturb the others`` () =
    let configs =
        [|
            for lr in [ "0.01"; "1e20"; "0.03" ] -> trial [ "dataset", "mnist"; "train_limit", "1000"; "batch_size", "16"; "max_epochs", "3"; "lr", lr ]
        |]

    let data = prepared configs[0]
    let packed, losses = runWithLosses configs data
    Assert.That(packed[1].Status, Is.EqualTo TrialStatus.Diverged)
    Assert.That(losses[1].Length, Is.LessThan losses[0].Length, "the diverged member left the pack")

    for k in [ 0; 2 ] do
        let alone, aloneLosses = runWithLosses [| configs[k] |] data
        Assert.That(packed[k].Status, Is.EqualTo TrialStatus.Ok)
        assertAllClose 1e-4 1e-7 (Array.ofList aloneLosses[0]) (Array.ofList losses[k])
        Assert.That(packed[k].FinalTestMetric, Is.EqualTo(alone[0].FinalTestMetric).Within(0.002))

[<Test>]
let ``a packed sweep commits every member as a trial; a lost member reruns alone with the same id and numbers`` () =
    use tmp = new TempDir()
    let out = tmp.File "out"
    let f = tmp.File "pack.yaml"

    File.WriteAllText(
        f,
        $"name: pk\ndataset: mnist\ntrain_limit: 800\nbatch_size: 16\npack: true\ngrid:\n  lr: [0.01, 0.03, 0.1]\n  seed: [1, 2]\n  schedule: [constant, \"grow-batch:2:1:64\"]\nsplit: 80/10/10\nstopping:\n  max_epochs: 2\nout: {out}\n"
    )

    let code, plan, err = CliTests.run [ "sweep"; "plan"; f ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains("members)", plan)
    StringAssert.Contains("alone: its schedule changes the batch size", plan)
    let code, output, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains("packed: 2 packs of 6 trials, 6 alone", output)

    let rows =
        Lrbs.Host.Storage.ResultsReader.Query(out, "SELECT trial_id, test_metric, pack_size FROM trials WHERE pack_size > 1 ORDER BY 1").Rows

    Assert.That(rows.Count, Is.EqualTo 6)
    let first: string[] = rows[0]
    let victim = first[0]
    let metric = float first[1]
    File.Delete(Path.Combine(out, "trials", victim + ".parquet"))
    let code, output, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "2" ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains("1 to run, 11 already finished", output)

    let again: string[] =
        Lrbs.Host.Storage.ResultsReader.Query(out, $"SELECT test_metric, pack_size FROM trials WHERE trial_id = '{victim}'").Rows[0]

    Assert.That(float again[0], Is.EqualTo(metric).Within(0.002))
    Assert.That(again[1], Is.EqualTo "1")

[<Test>]
let ``packs are cut to the members that fit in memory, and a pack too big for memory falls back to members alone`` () =
    let planned =
        [
            for seed in 1..3 do
                for lr in [ 0.1; 0.01; 0.001; 0.0001 ] ->
                    trial
                        [
                            "dataset", "boxes"
                            "model", "cnn-box"
                            "batch_size", "4096"
                            "lr", string lr
                            "seed", string seed
                            "max_epochs", "1"
                        ]
        ]
        |> List.mapi (fun i c -> Lrbs.Core.Planning.PlannedTrial.Of(i, c))

    let sizes (fit: Func<TrialConfig, int>) =
        let struct (units, _) = Lrbs.Host.Sweeps.SweepRunner.Packs(planned, 20, 2, fit)
        units |> Seq.map (fun u -> u.Trials.Count) |> List.ofSeq

    Assert.That(sizes null |> List.max, Is.EqualTo 6, "without a memory cap: two packs of 6 for two workers")
    Assert.That(sizes (Func<_, _>(fun _ -> 2)) |> List.max, Is.EqualTo 2)
    Assert.That(sizes (Func<_, _>(fun _ -> 2)) |> List.sum, Is.EqualTo 12)
    Assert.That(sizes (Func<_, _>(fun _ -> 0)) |> List.forall ((=) 1), Is.True, "nothing fits: every trial alone")
    // the measured cap: S7 at batch 4096 holds about 2 GB per member, so on a 24 GB machine 12
    // never share one pack (12 packed into 23 GB were killed), on a 1 TB one they would; the
    // memory is given, not read from this machine, whose free memory decides nothing here
    let fit available = Lrbs.Core.Planning.PackPlanner.MembersThatFit(planned.Head.Config, 2, available)
    Assert.That(fit (24L <<< 30), Is.LessThan 12)
    Assert.That(fit (1L <<< 40), Is.GreaterThanOrEqualTo 12)
    Assert.That(fit (1L <<< 30), Is.EqualTo 1, "too little memory for even one member: it still runs alone")
