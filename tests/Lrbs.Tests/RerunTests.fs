/// The verified path is the production path, and refactoring it changes no number: for each model
/// kind, its trial in results/rerun-reference (trained alone, on one thread, by
/// scripts/rerun-reference.sh from the commit before a refactoring) is rebuilt from its canonical
/// config (its id must match), trained again, and its losses and metrics compared bit for bit
/// with its committed epochs part.
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

[<TestCaseSource(nameof kinds)>]
let ``a committed trial of each model kind trains again bit for bit`` (model: string) =
    let dir = Path.Combine(root, "results", "rerun-reference")

    for path, classes in shapes do
        if not (Directory.Exists(Path.Combine(root, path))) then
            Lrbs.Core.Data.Shapes.write (Path.Combine(root, path)) classes 40 48 1 |> ignore

    let q = Lrbs.Host.Storage.ResultsReader.Query

    let id, config =
        let sql =
            $"SELECT trial_id, config FROM trials WHERE model = '{model}' "
            + "AND pack_size = 1 AND resumed_epochs = 0 AND status = 'ok'"

        let row = (q (dir, sql)).Rows |> Seq.exactlyOne
        row[0], row[1]

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
    let part = Path.Combine(dir, "epochs", $"{id}.parquet")

    let committed =
        db.Dicts($"SELECT epoch, train_loss, train_metric, test_loss, test_metric FROM read_parquet('{part}') ORDER BY epoch LIMIT {epochs}")

    Assert.That(seen.Count, Is.EqualTo(min epochs committed.Count))

    let bits (v: obj) =
        match v with
        | :? float as d -> BitConverter.DoubleToInt64Bits d
        | null -> 0L
        | other -> failwith $"unexpected {other.GetType()}"

    for e, row in Seq.zip seen committed do
        Assert.That(e.Epoch, Is.EqualTo(Convert.ToInt32 row["epoch"]))

        for name, value in [ "train_loss", e.TrainLoss; "train_metric", e.TrainMetric; "test_loss", e.TestLoss; "test_metric", e.TestMetric ] do
            Assert.That(BitConverter.DoubleToInt64Bits value, Is.EqualTo(bits row[name]), $"{model} epoch {e.Epoch} {name}: {value:R} vs {row[name]}")

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
