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
    let rule = { Stopping.Epochs 100 with EarlyStopping = Some { Patience = 2; MinDelta = 0.0; Monitor = Monitor.ValLoss } }
    Assert.That(Stopping.check rule [ 1.0; 1.0; 1.0 ] [ 0.5; 0.6; 0.55 ], Is.EqualTo(Some StopReason.EarlyStopped))
    Assert.That(Stopping.check rule [ 1.0; 1.0; 1.0 ] [ 0.5; 0.6; 0.4 ], Is.EqualTo None)
    // monitor loss: the training losses decide, the validation losses are not read
    let onLoss = { Stopping.Epochs 100 with EarlyStopping = Some { Patience = 2; MinDelta = 0.0; Monitor = Monitor.TrainLoss } }
    Assert.That(Stopping.check onLoss [ 0.5; 0.6; 0.55 ] [], Is.EqualTo(Some StopReason.EarlyStopped))
    Assert.That(Stopping.check onLoss [ 0.5; 0.6; 0.4 ] [ 0.5; 0.6; 0.55 ], Is.EqualTo None)

/// The epoch at which a rule stops a loss curve (None: it runs out of epochs).
let private stopsAt rule (losses: float list) =
    [ 1 .. losses.Length ]
    |> List.tryFind (fun n ->
        (Stopping.check rule (List.take n losses) []).IsSome
        && Stopping.check rule (List.take n losses) [] <> Some StopReason.MaxEpochs)

let private kerasOnLoss =
    { Stopping.Epochs 1000 with EarlyStopping = Some { Patience = 10; MinDelta = 0.01; Monitor = Monitor.TrainLoss } }

let private studySentence = { Stopping.Epochs 1000 with Stabilisation = Some(0.01, 10) }

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``Keras EarlyStopping on the loss never stops a curve that keeps falling by more than min_delta every patience epochs`` (rate: FsCheck.NormalFloat) =
    // falling by r per epoch, r in (0.001, 0.01): below the stabilisation rule's 0.01 every epoch,
    // above min_delta over any 10 epochs
    let r = 0.0011 + abs (float rate.Get % 0.0089)
    let curve = List.init 60 (fun e -> 2.0 - r * float e)
    stopsAt kerasOnLoss curve = None && stopsAt studySentence curve = Some 11

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``Keras EarlyStopping on the loss stops a rising curve patience epochs after its best; the stabilisation rule never does`` (start: FsCheck.PositiveInt) =
    // falls for `best` epochs, then rises by 0.02 an epoch (more than 0.01: never "stable")
    let best = 1 + start.Get % 20

    let curve =
        List.init (best + 40) (fun e -> if e < best then 2.0 - 0.1 * float e else 2.0 - 0.1 * float (best - 1) + 0.02 * float (e - best + 1))

    stopsAt kerasOnLoss curve = Some(best + 10) && stopsAt studySentence curve = None

let private run schedule lr batch losses = losses |> List.indexed |> List.scan (fun s (i, l) -> Schedule.next schedule (i + 1) l s) (Schedule.start lr batch)

let private plateau factor patience minLr = Schedule.ReduceOnPlateau(factor, minLr, Schedule.defaultPlateau patience)

[<Test>]
let ``reduce on plateau follows Keras: patience, min_delta, the minimum, and no reset at the minimum`` () =
    Assert.That((run (plateau 0.5 2 0.02) 0.1 16 [ 1.0; 0.9; 0.95; 0.92 ] |> List.last).Lr, Is.EqualTo 0.05)
    Assert.That((run (plateau 0.5 2 0.02) 0.1 16 [ 1.0; 0.9; 0.8 ] |> List.last).Lr, Is.EqualTo 0.1)
    Assert.That((run (plateau 0.5 2 0.02) 0.1 16 (List.replicate 20 1.0) |> List.last).Lr, Is.EqualTo 0.02)
    // an improvement smaller than min_delta (1e-4) does not count
    Assert.That((run (plateau 0.5 2 0.0) 0.1 16 [ 1.0; 0.99995; 0.9999 ] |> List.last).Lr, Is.EqualTo 0.05)

[<Test>]
let ``cooldown waits before counting again, as Keras's`` () =
    let s = Schedule.ReduceOnPlateau(0.5, 0.0, { Patience = 1; MinDelta = 1e-4; Cooldown = 2 })
    let lrs = run s 1.0 16 (List.replicate 7 1.0) |> List.map (fun st -> st.Lr)
    // Keras decrements the cooldown counter at the start of each epoch and counts again once it is 0:
    // epoch 1 sets best; 2 fires (counter 2); 3 cools down (counter 1); 4 (counter 0) fires again; 5 cools; 6 fires
    assertEq [ 1.0; 1.0; 0.5; 0.5; 0.25; 0.25; 0.125; 0.125 ] lrs

[<Test>]
let ``step decay and batch growth`` () =
    let s = Schedule.start 0.1 16
    Assert.That((Schedule.next (Schedule.StepDecay(0.1, 2)) 2 1.0 s).Lr, Is.EqualTo(0.01).Within(1e-15))
    Assert.That((Schedule.next (Schedule.StepDecay(0.1, 2)) 1 1.0 s).Lr, Is.EqualTo 0.1)
    let grow = Schedule.GrowBatchOnPlateau(2, 64, Schedule.defaultPlateau 1)
    Assert.That((run grow 0.1 16 [ 1.0; 1.0; 1.0; 1.0; 1.0 ] |> List.last).BatchSize, Is.EqualTo 64)

let private lossesGen = Gen.listOf (Gen.choose (0, 1000) |> Gen.map (fun v -> float v / 1000.0))

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``plateau schedules never raise the rate nor shrink the batch, and respect their bounds`` () =
    let gen =
        gen {
            let! losses = lossesGen
            let! factor = Gen.elements [ 0.1; 0.5; 0.9 ]
            let! patience = Gen.choose (1, 4)
            let! cooldown = Gen.choose (0, 3)
            let! minLr = Gen.elements [ 0.0; 1e-4; 0.01 ]
            return losses, factor, patience, cooldown, minLr
        }

    Prop.forAll (Arb.fromGen gen) (fun (losses, factor, patience, cooldown, minLr) ->
        let p = { Patience = patience; MinDelta = 1e-4; Cooldown = cooldown }
        let lrs = run (Schedule.ReduceOnPlateau(factor, minLr, p)) 0.1 8 losses |> List.map (fun s -> s.Lr)
        let batches = run (Schedule.GrowBatchOnPlateau(2, 128, p)) 0.1 8 losses |> List.map (fun s -> s.BatchSize)

        List.pairwise lrs |> List.forall (fun (a, b) -> b <= a)
        && lrs |> List.forall (fun l -> l >= minLr)
        && List.pairwise batches |> List.forall (fun (a, b) -> b >= a)
        && batches |> List.forall (fun b -> b <= 128))

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``step decay multiplies by the factor exactly every k epochs`` () =
    Prop.forAll (Arb.fromGen (Gen.zip3 (Gen.elements [ 0.1; 0.5 ]) (Gen.choose (1, 5)) (Gen.choose (1, 30)))) (fun (f, k, epochs) ->
        let last = run (Schedule.StepDecay(f, k)) 1.0 8 (List.replicate epochs 1.0) |> List.last
        abs (last.Lr - f ** float (epochs / k)) < 1e-12)

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``scaling rules give lr0 at the base batch and follow B^k`` () =
    Prop.forAll
        (Arb.fromGen (Gen.zip3 (Gen.elements [ ScalingRule.Linear; ScalingRule.SquareRoot ]) (Gen.choose (1, 512)) (Gen.choose (1, 512))))
        (fun (rule, b0, b) ->
            let s = { Rule = rule; BaseBatch = b0; WarmupEpochs = 0 }
            let k = LrScaling.exponent rule

            abs (LrScaling.scaled s 0.01 b0 - 0.01) < 1e-15
            && abs (LrScaling.scaled s 0.01 b - 0.01 * (float b / float b0) ** k) < 1e-12
            && (b <= b0 || LrScaling.scaled s 0.01 b > 0.01))

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``warm-up rises monotonically from lr0 and ends at the scaled value`` () =
    Prop.forAll (Arb.fromGen (Gen.zip3 (Gen.elements [ 0.01; 0.1 ]) (Gen.elements [ 0.05; 0.4; 1.6 ]) (Gen.choose (1, 300)))) (fun (lr0, target, steps) ->
        let lrs = [ for t in 0 .. steps + 3 -> LrScaling.warmup lr0 target steps t ]

        let monotone =
            if target >= lr0 then
                List.pairwise lrs |> List.forall (fun (a, b) -> b >= a)
            else
                List.pairwise lrs |> List.forall (fun (a, b) -> b <= a)

        lrs.Head = lr0 && LrScaling.warmup lr0 target steps steps = target && monotone)

[<Test>]
let ``schedules parse with Keras defaults, print canonically, and refuse nonsense naming the form`` () =
    assertEq (Ok(plateau 0.5 3 0.0)) (Schedule.parse "plateau:0.5:3")

    for text in [ "constant"; "step:0.1:10"; "plateau:0.5:2:1E-05:0.001:1"; "grow-batch:2:3:256:0.0001:0" ] do
        match Schedule.parse text with
        | Ok s -> assertEq (Ok s) (Schedule.parse (Schedule.canonical s))
        | Error e -> Assert.Fail e

    for bad, fragment in [ "cosine", "unknown schedule 'cosine'"; "plateau:1.5:2", "0 < factor < 1"; "step:0.1:0", "every >= 1" ] do
        match Schedule.parse bad with
        | Error e -> StringAssert.Contains(fragment, e)
        | Ok s -> Assert.Fail $"%A{s}"
