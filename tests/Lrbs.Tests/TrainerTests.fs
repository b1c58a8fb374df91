module Lrbs.Tests.TrainerTests

open NUnit.Framework
open Lrbs.Tests.Support
open Lrbs.Core.Data
open Lrbs.Core.Training
open Lrbs.Core.Schedules

let private config optimizer lr batch epochs =
    { TrialConfig.create "mnist" "mlp-100-50" optimizer lr batch epochs 3 with TrainLimit = Some 1000 }

let private prepared (c: TrialConfig) =
    match Trainer.prepare c with
    | Ok d -> d
    | Error e -> failwithf "%A" e

[<Test>]
let ``training on real digits lowers the loss and beats chance by far`` () =
    let c = config "adam" 0.001 32 3
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Status, Is.EqualTo TrialStatus.Ok)
    Assert.That(r.Epochs.Length, Is.EqualTo 3)
    Assert.That(r.Epochs[2].TrainLoss, Is.LessThan(r.Epochs[0].TrainLoss))
    Assert.That(r.FinalTestMetric, Is.GreaterThan 0.75)
    Assert.That(r.TestCount, Is.EqualTo 2000)

[<Test>]
let ``the last partial batch is a step, as in Keras`` () =
    let c = config "sgd" 0.01 64 2
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Steps, Is.EqualTo(2 * 16)) // ceil(1000 / 64) = 16
    assertEq [ 16; 16 ] (r.Epochs |> List.map (fun e -> e.Steps))

[<Test>]
let ``the same seed gives bit-identical losses and a different seed does not`` () =
    let c = config "sgd-momentum" 0.01 16 2
    let d = prepared c
    let losses (c: TrialConfig) = (Trainer.run c d Progress.None).Epochs |> List.map (fun e -> e.TrainLoss)
    assertEq (losses c) (losses c)
    Assert.That(losses { c with Seed = 4 } <> losses c, Is.True)

[<Test>]
let ``an exploding run is recorded as diverged, not thrown`` () =
    let c = config "sgd" 1e20 8 3
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Status, Is.EqualTo TrialStatus.Diverged)
    Assert.That(r.StopReason, Is.EqualTo(Some StopReason.Diverged))

[<Test>]
let ``loss stabilisation stops a trial early`` () =
    let c = { config "sgd" 1e-6 100 50 with Stopping = { Stopping.Epochs 50 with Stabilisation = Some(1e-2, 3) } }
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Status, Is.EqualTo TrialStatus.StoppedEarly)
    Assert.That(r.StopReason, Is.EqualTo(Some StopReason.LossStabilised))
    Assert.That(r.Epochs.Length, Is.EqualTo 4)

[<Test>]
let ``early stopping and a plateau schedule use the validation split`` () =
    let c =
        { config "adam" 0.001 50 30 with
            Split = Split.Pooled(0.8, 0.1)
            Stopping = { Stopping.Epochs 30 with EarlyStopping = Some(1, 0.5) }
            Schedule = Schedule.ReduceOnPlateau(0.5, 1, 1e-5) }
    let r = Trainer.run c (prepared c) Progress.None
    Assert.That(r.Epochs |> List.forall (fun e -> e.ValLoss.IsSome), Is.True)
    Assert.That(r.StopReason, Is.EqualTo(Some StopReason.EarlyStopped))
    Assert.That(r.Epochs.Length, Is.LessThan 30)

[<Test>]
let ``a batch larger than the training set is refused naming the limit`` () =
    match Trainer.prepare (config "sgd" 0.01 5000 1) with
    | Error [ e ] ->
        Assert.That(e.Field, Is.EqualTo "batch_size")
        StringAssert.Contains("1..1000", e.Message)
    | other -> Assert.Fail $"%A{other}"

[<Test>]
let ``an exception inside a trial becomes status failed with its message`` () =
    let c = config "sgd" 0.01 32 1
    let d = prepared c
    // A model whose layer does not fit the data makes the engine throw mid-trial.
    let broken = { d with Train = { d.Train with Input = Lrbs.Core.Models.Shape.Vector 7 } }
    let r = Trainer.tryRun c broken Progress.None
    match r.Status with
    | TrialStatus.Failed message -> Assert.That(message, Is.Not.Empty)
    | other -> Assert.Fail $"expected failed, got %A{other}"
