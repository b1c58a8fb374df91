/// The verified path is the production path, and refactoring it changes no number: for each model
/// kind, its trial in a results/rerun-reference* folder (trained alone, on one thread, by
/// scripts/rerun-reference.sh from the commit before a refactoring) is rebuilt from its canonical
/// config (its id must match), trained again, and its losses and metrics compared bit for bit
/// with its committed epochs part. Bits reproduce on OpenBLAS's kernel family the trial ran on
/// only (its `blas` column): each folder holds one family (rerun-reference: Cooperlake,
/// rerun-reference-zen: Zen); the folder of this machine's family is compared bit for bit, the
/// others at float32 rounding (a family with no folder is said so in the test's output).
module Lrbs.Tests.RerunTests

open System
open System.IO
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Training
open Lrbs.Core.Surface

let private root = Lrbs.Core.Data.Registry.repositoryRoot ()

/// Each model kind, trained alone on one thread for 2 epochs by scripts/rerun-reference.sh into
/// results/rerun-reference.
let kinds = [ "mlp-100-50"; "cnn-small"; "cnn-box"; "cnn-animals"; "cnn-traffic" ] |> List.map TestCaseData

/// The generated image folders the reference's image models read (as the script writes them).
let private shapes = [ "data/rerun-shapes-3", 3; "data/rerun-shapes-8", 8 ]

/// Epochs compared: enough to cover an evaluation and a second epoch's updates, few enough for CI.
let private epochs = 2

exception private Enough

/// The first `epochs` epochs of the committed trial of `dir` that `where` selects (an SQL
/// condition on its trials view), rebuilt from its canonical config (its id must match) and
/// trained again alone on one thread: per epoch, (label, retrained value, committed value as
/// float bits) for the train and test loss and metric. With several folders holding the same
/// trial (one per kernel family), it is trained once and compared with each: (folder, epochs).
let private retrainAgainst (dirs: string list) (where: string) (epochs: int) =
    let q = Lrbs.Host.Storage.ResultsReader.Query

    let ids, configs =
        dirs
        |> List.map (fun dir ->
            let row = (q (dir, $"SELECT trial_id, config FROM trials WHERE {where}")).Rows |> Seq.exactlyOne
            row[0], row[1])
        |> List.unzip

    let id, config = ids.Head, configs.Head
    Assert.That(ids |> List.forall ((=) id), Is.True, "every reference folder holds the same trial")

    let c = Trials.OfCanonical config
    Assert.That(Trials.Id c, Is.EqualTo id, "the canonical config rebuilds the committed trial's id")
    Lrbs.Core.Engine.Runtime.setThreads 1
    // a data_dir is relative to the repository, where the reference was trained
    let data =
        let cwd = Environment.CurrentDirectory
        Environment.CurrentDirectory <- root

        try
            Trials.Prepare c
        finally
            Environment.CurrentDirectory <- cwd

    let seen = ResizeArray<EpochRecord>()

    let progress =
        { Progress.None with
            OnEpoch =
                fun _ e ->
                    seen.Add e

                    if seen.Count >= epochs then
                        raise Enough
        }

    try
        Trainer.run c data progress |> ignore
    with Enough ->
        ()

    use db = new Lrbs.Host.Storage.Sql()

    let bits (v: obj) =
        match v with
        | :? float as d -> BitConverter.DoubleToInt64Bits d
        | null -> 0L
        | other -> failwith $"unexpected {other.GetType()}"

    [
        for dir in dirs do
            let part = Path.Combine(dir, "epochs", $"{id}.parquet")

            let committed =
                db.Dicts($"SELECT epoch, train_loss, train_metric, test_loss, test_metric FROM read_parquet('{part}') ORDER BY epoch LIMIT {epochs}")

            Assert.That(seen.Count, Is.EqualTo(min epochs committed.Count))

            dir,
            [
                for e, row in Seq.zip seen committed do
                    Assert.That(e.Epoch, Is.EqualTo(Convert.ToInt32 row["epoch"]))

                    for name, value in [ "train_loss", e.TrainLoss; "train_metric", e.TrainMetric; "test_loss", e.TestLoss; "test_metric", e.TestMetric ] do
                        $"epoch {e.Epoch} {name}: {value:R} vs {row[name]}", BitConverter.DoubleToInt64Bits value, bits row[name]
            ]
    ]

/// The same for one folder.
let private retrain (dir: string) (where: string) (epochs: int) = retrainAgainst [ dir ] where epochs |> List.exactlyOne |> snd

/// The reference folders and the kernel family each one's trials ran on.
let private references () =
    Directory.GetDirectories(Path.Combine(root, "results"), "rerun-reference*")
    |> Array.sort
    |> Array.map (fun dir ->
        let families =
            (Lrbs.Host.Storage.ResultsReader.Query(dir, "SELECT DISTINCT blas FROM trials")).Rows
            |> Seq.map (fun r -> string r[0])
            |> List.ofSeq

        Assert.That(families.Length, Is.EqualTo 1, $"{dir}: one kernel family per reference folder")
        dir, families.Head)

/// Values retrained on another kernel family than the reference's: the same to float32 rounding
/// amplified over short training (Zen against Cooperlake: 4e-6 relative at the first epoch's
/// training loss of the MLP, 1.6e-3 at cnn-small's second, 2.8e-3 at the s6 trial's first).
let private sameAtRounding (value: int64) (committed: int64) =
    let a, b = BitConverter.Int64BitsToDouble value, BitConverter.Int64BitsToDouble committed
    abs (a - b) <= 1e-2 * max 1.0 (abs b)

[<TestCaseSource(nameof kinds)>]
let ``a committed trial of each model kind trains again bit for bit`` (model: string) =
    for path, classes in shapes do
        if not (Directory.Exists(Path.Combine(root, path))) then
            Lrbs.Core.Data.Shapes.write (Path.Combine(root, path)) classes 40 48 1 |> ignore

    let here = Lrbs.Core.Engine.Runtime.blasCore ()
    let where = $"model = '{model}' AND pack_size = 1 AND resumed_epochs = 0 AND status = 'ok'"

    let refs = references ()

    // bit for bit against the folder of this machine's family; at float32 rounding against the others
    let family = dict refs

    for dir, results in retrainAgainst (refs |> Array.map fst |> List.ofArray) where epochs do
        let family = family[dir]

        for label, value, committed in results do
            let context = $"{model} {label} ({Path.GetFileName dir}: {family}; this machine: {here})"

            if family = here then
                Assert.That(value, Is.EqualTo committed, context)
            else
                Assert.That(sameAtRounding value committed, Is.True, context)

    if not (refs |> Array.exists (fun (_, family) -> family = here)) then
        TestContext.Out.WriteLine $"no reference on this machine's kernel family {here}: compared at float32 rounding only"

/// s6-schedules-fashion's trial 4eab8967 (cnn-small, plain SGD lr 0.05 at batch 32 on
/// Fashion-MNIST's 56,000 training rows, code 4629f38) predates the fused plain-SGD kernel
/// (f3caa9c7, src/Native/net/update_kernels.cpp): that kernel computes w + g * (-lr) with two
/// float32 roundings, where ATen's w.add_(g, -lr), which the trial ran, rounds once (a fused
/// multiply-add). On ATen's update path the trial trains again bit for bit; on the fused path
/// its first epoch's training loss moves at the fourth digit (0.59852 against 0.59780 after
/// 1,750 steps), the engine's arithmetic rather than a lost setting. Bits reproduce on the kernel
/// family the trial ran on: its row predates the `blas` column, and it retrained bit for bit on
/// Cooperlake (the CI runs of 2026-12-07); elsewhere both paths are compared at float32 rounding.
[<Test>]
let ``the s6 trial before the fused SGD kernel trains again bit for bit on ATen's update path`` () =
    let dir = Path.Combine(root, "results", "s6-schedules-fashion")
    let trial = "trial_id = '4eab8967ddaf3dc1'"
    let here = Lrbs.Core.Engine.Runtime.blasCore ()
    let exact = here = "Cooperlake"
    let previous = Lrbs.Core.Engine.Runtime.fusedUpdates false

    let aten =
        try
            retrain dir trial 1
        finally
            Lrbs.Core.Engine.Runtime.fusedUpdates previous |> ignore

    for label, value, committed in aten do
        if exact then
            Assert.That(value, Is.EqualTo committed, $"ATen's update path, {label}")
        else
            Assert.That(sameAtRounding value committed, Is.True, $"ATen's update path on {here}, {label}")

    let trainLoss results = results |> List.find (fun (label: string, _, _) -> label.Contains "train_loss")

    let _, atenLoss, committed = trainLoss aten
    let _, value, _ = trainLoss (retrain dir trial 1)
    Assert.That(value, Is.Not.EqualTo atenLoss, "the fused kernel rounds differently, so the first epoch moves")

    Assert.That(
        BitConverter.Int64BitsToDouble value,
        Is.EqualTo(BitConverter.Int64BitsToDouble committed).Within(if exact then 2e-3 else 5e-3),
        "at float32 rounding amplified over an epoch"
    )

/// Configs over the keys `values` joins or changes: every one rebuilds from its canonical text.
let private configs =
    gen {
        let! dataset, split = Gen.elements [ "fashion-mnist", "80/10/10"; "boxes", "80/10/10"; "mnist", "70/15/15" ]

        let! optimizer =
            Gen.elements
                [
                    [ "optimizer", "sgd" ]
                    [ "optimizer", "sgd"; "momentum", "0.9"; "nesterov", "true" ]
                    [ "optimizer", "adam"; "beta2", "0.99" ]
                ]

        let! scaling = Gen.elements [ []; [ "scaling", "sqrt"; "base_batch", "32"; "warmup_epochs", "2" ] ]

        let! stopping =
            Gen.elements
                [
                    []
                    [ "stop_when_stable", "true"; "stable_delta", "0.02"; "stable_patience", "3" ]
                    [ "early_stopping_patience", "4"; "early_stopping_min_delta", "0.001" ]
                    [ "early_stopping_patience", "4"; "early_stopping_monitor", "loss" ]
                ]

        let! noise = Gen.elements [ []; [ "noise_scale_every", "20"; "noise_scale_small", "4"; "noise_scale_ema", "0.9" ] ]
        let! schedule = Gen.elements [ "constant"; "plateau:0.5:2:0:0.0001:0"; "step:0.5:3" ]
        let! lr = Gen.elements [ "0.1"; "0.0003"; "1E-05" ]
        let! seed = Gen.choose (0, 99)

        let! extra =
            Gen.elements [ []; [ "train_limit", "500"; "pool", "3000" ]; [ "eval_batches", "whole" ]; [ "predictions", "true" ] ]

        return
            [
                "dataset", dataset
                "split", split
                "lr", lr
                "batch_size", "32"
                "seed", string seed
                "schedule", schedule
                "max_epochs", "9"
            ]
            @ optimizer
            @ scaling
            @ stopping
            @ noise
            @ extra
    }

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``a config rebuilds from its canonical text into the same config and id`` () =
    Prop.forAll (Arb.fromGen configs) (fun fields ->
        match TrialConfig.build fields with
        | Error e -> false |> Prop.label $"the generator made an invalid config: {e.Head.Field}: {e.Head.Message}"
        | Ok c ->
            let back = Trials.OfCanonical(TrialConfig.canonical c)
            (back = c && Trials.Id back = Trials.Id c) |> Prop.label (TrialConfig.canonical c))

[<Test>]
let ``a canonical text that is not one, or a model file's trial, is refused by name`` () =
    let refused (text: string) =
        try
            Trials.OfCanonical text |> ignore
            ""
        with :? ConfigException as e ->
            e.Message

    Assert.That(refused "batch_size=4", Does.Contain "not a canonical trial config")
    Assert.That(refused "lrbs-trial v1\nmodel=layers: dense(10)", Does.Contain "cannot be rebuilt")
