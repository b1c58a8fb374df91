module Lrbs.Tests.ScheduleStoppingTests

open NUnit.Framework
open Lrbs.Tests.Support
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Schedules
open Lrbs.Core.Training

[<Test>]
let ``loss stabilisation needs 10 consecutive small changes`` () =
    let rule = Stopping.study
    let steady = [ 1.0; 0.5 ] @ List.init 11 (fun i -> 0.3 - float i * 0.001)
    Assert.That(Stopping.check rule steady [], Is.EqualTo(Some StopReason.LossStabilised))
    Assert.That(Stopping.check rule (List.take 12 steady) [], Is.EqualTo None)
    let broken = List.take 8 steady @ [ 0.1 ] @ List.init 5 (fun _ -> 0.1)
    Assert.That(Stopping.check rule broken [], Is.EqualTo None)

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``stop at max epochs, never before, when no other rule fires`` (n: PositiveInt) =
    let n = min n.Get 50
    let rule = Stopping.Epochs n
    let losses k = List.init k (fun i -> 10.0 - float i)
    Stopping.check rule (losses n) [] = Some StopReason.MaxEpochs
    && (n = 1 || Stopping.check rule (losses (n - 1)) [] = None)

[<Test>]
let ``early stopping counts epochs without improvement like Keras`` () =
    let rule = { Stopping.Epochs 100 with EarlyStopping = Some(2, 0.0) }
    Assert.That(Stopping.check rule [ 1.0; 1.0; 1.0 ] [ 0.5; 0.6; 0.55 ], Is.EqualTo(Some StopReason.EarlyStopped))
    Assert.That(Stopping.check rule [ 1.0; 1.0; 1.0 ] [ 0.5; 0.6; 0.4 ], Is.EqualTo None)

[<Test>]
let ``reduce on plateau lowers lr after patience epochs and respects the minimum`` () =
    let sched = Schedule.ReduceOnPlateau(0.5, 2, 0.02)
    let run losses = losses |> List.indexed |> List.fold (fun s (i, l) -> Schedule.next sched (i + 1) l s) (Schedule.start 0.1 16)
    Assert.That((run [ 1.0; 0.9; 0.95; 0.92 ]).Lr, Is.EqualTo 0.05)
    Assert.That((run [ 1.0; 0.9; 0.8 ]).Lr, Is.EqualTo 0.1)
    Assert.That((run (List.replicate 20 1.0)).Lr, Is.EqualTo 0.02)

[<Test>]
let ``step decay and batch growth`` () =
    let s = Schedule.start 0.1 16
    Assert.That((Schedule.next (Schedule.StepDecay(0.1, 2)) 2 1.0 s).Lr, Is.EqualTo(0.01).Within(1e-15))
    Assert.That((Schedule.next (Schedule.StepDecay(0.1, 2)) 1 1.0 s).Lr, Is.EqualTo 0.1)
    let grow = Schedule.GrowBatchOnPlateau(2, 1, 64)
    let s' = [ 1.0; 1.0; 1.0; 1.0 ] |> List.indexed |> List.fold (fun st (i, l) -> Schedule.next grow (i + 1) l st) s
    Assert.That(s'.BatchSize, Is.EqualTo 64)
