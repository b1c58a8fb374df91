module Lrbs.Tests.TrainerTests

open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Data
open Lrbs.Core.Training

let private config (extra: (string * string) list) = trial ([ "dataset", "mnist"; "model", "mlp-100-50"; "train_limit", "1000"; "seed", "3" ] @ extra)

[<Test>]
let ``training on real digits lowers the loss and beats chance by far`` () =
    let c = config [ "optimizer", "adam"; "lr", "0.001"; "batch_size", "32"; "max_epochs", "3" ]
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Status, Is.EqualTo TrialStatus.Ok)
    Assert.That(r.Epochs.Length, Is.EqualTo 3)
    Assert.That(r.Epochs[2].TrainLoss, Is.LessThan(r.Epochs[0].TrainLoss))
    Assert.That(r.FinalTestMetric, Is.GreaterThan 0.75)
    Assert.That(r.TestCount, Is.EqualTo 14000) // 20% of the 70,000 digits

[<Test>]
let ``the last partial batch is a step, as in Keras`` () =
    let c = config [ "batch_size", "64"; "max_epochs", "2" ]
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Steps, Is.EqualTo(2 * 16)) // ceil(1000 / 64) = 16
    assertEq [ 16; 16 ] (r.Epochs |> List.map (fun e -> e.Steps))

[<Test>]
let ``the same seed gives bit-identical losses and a different seed does not`` () =
    let c = config [ "optimizer", "sgd-momentum"; "batch_size", "16"; "max_epochs", "2" ]
    let d = prepared c
    let losses (c: TrialConfig) = (Trainer.run c d Progress.None).Epochs |> List.map (fun e -> e.TrainLoss)
    assertEq (losses c) (losses c)
    Assert.That(losses { c with Seed = 4 } <> losses c, Is.True)

[<Test>]
let ``an exploding run is recorded as diverged, not thrown`` () =
    let c = config [ "lr", "1e20"; "batch_size", "8"; "max_epochs", "3" ]
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Status, Is.EqualTo TrialStatus.Diverged)
    Assert.That(r.StopReason, Is.EqualTo(Some StopReason.Diverged))

[<Test>]
let ``loss stabilisation stops a trial early`` () =
    let c = config [ "lr", "1e-6"; "batch_size", "100"; "max_epochs", "50"; "stop_when_stable", "true"; "stable_patience", "3" ]
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Status, Is.EqualTo TrialStatus.StoppedEarly)
    Assert.That(r.StopReason, Is.EqualTo(Some StopReason.LossStabilised))
    Assert.That(r.Epochs.Length, Is.EqualTo 4)

[<Test>]
let ``early stopping and a plateau schedule use the validation split`` () =
    let c =
        config
            [
                "optimizer", "adam"
                "lr", "0.001"
                "batch_size", "50"
                "max_epochs", "30"
                "split", "80/10/10"
                "early_stopping_patience", "1"
                "early_stopping_min_delta", "0.5"
                "schedule", "plateau:0.5:1:1e-5"
            ]

    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Epochs |> List.forall (fun e -> e.ValLoss.IsSome), Is.True)
    Assert.That(r.StopReason, Is.EqualTo(Some StopReason.EarlyStopped))
    Assert.That(r.Epochs.Length, Is.LessThan 30)

[<Test>]
let ``early stopping on the training loss needs no validation split and stops patience epochs after the best`` () =
    // lr 1e-6: the training loss barely moves, so no epoch improves on the first by 0.5
    let c =
        config
            [
                "lr", "1e-6"
                "batch_size", "100"
                "max_epochs", "50"
                "early_stopping_patience", "3"
                "early_stopping_min_delta", "0.5"
                "early_stopping_monitor", "loss"
            ]

    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Epochs |> List.forall (fun e -> e.ValLoss.IsNone), Is.True)
    Assert.That(r.StopReason, Is.EqualTo(Some StopReason.EarlyStopped))
    Assert.That(r.Epochs.Length, Is.EqualTo 4)
    let row = Lrbs.Host.Storage.Rows.TrialRow.Of("unit", r, "test", System.DateTime.UtcNow)
    Assert.That(row.EarlyStoppingMonitor, Is.EqualTo "loss")
    Assert.That(row.EarlyStopping, Is.EqualTo "3:0.5")

[<Test>]
let ``linear scaling with warm-up trains at lr0 first and at the scaled rate after the warm-up`` () =
    let c =
        config [ "lr", "0.01"; "batch_size", "40"; "scaling", "linear"; "base_batch", "10"; "warmup_epochs", "1"; "max_epochs", "2" ]

    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(TrialConfig.targetLr c, Is.EqualTo(0.04).Within(1e-15))
    Assert.That(r.Epochs[0].Lr, Is.LessThan 0.04, "the first epoch ends inside the warm-up ramp")
    Assert.That(r.Epochs[1].Lr, Is.EqualTo(0.04).Within(1e-15))

[<Test>]
let ``a batch larger than the training set is refused naming the limit`` () =
    match Trainer.prepare (config [ "batch_size", "5000" ]) with
    | Error [ e ] ->
        Assert.That(e.Field, Is.EqualTo "batch_size")
        StringAssert.Contains("1..1000", e.Message)
    | other -> Assert.Fail $"%A{other}"

[<Test>]
let ``an exception inside a trial becomes status failed with its message`` () =
    let c = config [ "max_epochs", "1" ]
    let d = prepared c
    // A model whose layer does not fit the data makes the engine throw mid-trial.
    let broken = { d with Train = { d.Train with Input = Lrbs.Core.Models.Shape.Vector 7 } }
    let r = Trainer.tryRun c broken Progress.None

    match r.Status with
    | TrialStatus.Failed message -> Assert.That(message, Is.Not.Empty)
    | other -> Assert.Fail $"expected failed, got %A{other}"

[<Test>]
let ``a pool draws N rows before the split, and repeats share the data`` () =
    let c = trial [ "dataset", "mnist"; "pool", "1000"; "max_epochs", "1" ]
    let d = prepared c
    Assert.That(d.Train.Count + d.Test.Count, Is.EqualTo 1000)
    Assert.That(d.Test.Count, Is.EqualTo 200)
    let again = prepared { c with Seed = 9 }
    assertEq d.Test.X again.Test.X

[<Test>]
let ``the constant prefix computed once gives bit for bit the losses of the whole network`` () =
    // S7's box CNN (its first max-pool is constant), and an average pool and a flatten before an
    // MLP on Fashion-MNIST (a sum whose order must be the engine's), a pack of two seeds each
    let pooledMlp =
        let definition: Lrbs.Core.Models.ModelFile.Definition =
            {
                Name = "pooled-mlp"
                Layers =
                    [
                        Lrbs.Core.Models.Layer.AveragePool2D 2
                        Lrbs.Core.Models.Layer.Flatten
                        Lrbs.Core.Models.Layer.Dense(32, "relu")
                        Lrbs.Core.Models.Layer.Dense(10, "softmax")
                    ]
            }

        Lrbs.Core.Models.ModelFile.toJson definition

    for fields, constant in
        [
            [
                "dataset", "boxes"
                "model", "cnn-box"
                "optimizer", "sgd"
                "lr", "0.1"
                "batch_size", "16"
                "train_limit", "256"
                "test_limit", "128"
            ],
            1
            [
                "dataset", "fashion-mnist"
                "model", pooledMlp
                "optimizer", "adam"
                "lr", "0.001"
                "batch_size", "32"
                "train_limit", "512"
                "test_limit", "256"
            ],
            2
        ] do
        let configs = [| for seed in [ "1"; "2" ] -> trial (fields @ [ "max_epochs", "2"; "seed", seed ]) |]
        let data = prepared configs[0]
        let spec = TrialConfig.modelSpec configs[0] data.Train.Input (Dataset.head data.Train) |> Result.defaultWith failwith
        Assert.That(ConstantPrefix.length spec, Is.EqualTo constant, $"%A{fields}")
        let stripped, through = ConstantPrefix.strip spec data
        Assert.That(stripped.Layers.Length, Is.EqualTo(spec.Layers.Length - constant))
        Assert.That(through.Train.X.Length, Is.LessThan data.Train.X.Length)
        let losses (r: TrialResult) = r.Epochs |> List.map (fun e -> e.TrainLoss, e.TestLoss, e.TestMetric)
        let withPrefix = Trainer.runPack configs data Progress.None
        ConstantPrefix.enabled.Value <- false

        let whole =
            try
                Trainer.runPack configs data Progress.None
            finally
                ConstantPrefix.enabled.Value <- true

        for a, b in Array.zip withPrefix whole do
            assertEq (losses b) (losses a)
            Assert.That(a.FinalTestMetric, Is.EqualTo b.FinalTestMetric)

[<Test>]
let ``a network's constant prefix ends at its first layer with weights or randomness, and leaves a layer to train`` () =
    let spec layers : Lrbs.Core.Models.ModelSpec = { Name = "x"; Input = Lrbs.Core.Models.Shape.Image(1, 8, 8); Layers = layers }
    let pool = Lrbs.Core.Models.Layer.MaxPool2D 2
    let flat = Lrbs.Core.Models.Layer.Flatten
    let drop = Lrbs.Core.Models.Layer.Dropout 0.5
    let dense = Lrbs.Core.Models.Layer.Dense(3, "relu")
    Assert.That(ConstantPrefix.length (spec [ pool; pool; flat; dense ]), Is.EqualTo 3)
    Assert.That(ConstantPrefix.length (spec [ pool; flat; drop; dense ]), Is.EqualTo 2)
    Assert.That(ConstantPrefix.length (spec [ flat; dense ]), Is.EqualTo 1)
    Assert.That(ConstantPrefix.length (spec [ dense ]), Is.EqualTo 0)
    Assert.That(ConstantPrefix.length (spec [ pool; flat ]), Is.EqualTo 1, "one layer is left to train")
