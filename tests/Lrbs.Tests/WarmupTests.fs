/// The batch-size warm-up: its schedule of points (parse, canonical text, the epochs it changes
/// at), built from a CBS(t) curve (BatchWarmup, a property: never above CBS at an epoch's start,
/// always a grid value or B0, capped), and compared with constant arms (WarmupComparison).
module Lrbs.Tests.WarmupTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Schedules
open Lrbs.Core.Planning
open Lrbs.Core.Analysis
open Lrbs.Tests.Support

let private grid = [ 16; 32; 64; 128; 256; 512; 1024 ]

let private curves =
    gen {
        let! n = Gen.choose (1, 6)
        let! ts = Gen.listOfLength n (Gen.elements [ 0.05; 0.2; 0.5; 1.0; 2.0; 4.0; 7.0 ])
        let! cs = Gen.listOfLength n (Gen.choose (8, 3000))
        let! cap = Gen.elements [ 16; 64; 200; 1024 ]
        let! epochs = Gen.choose (1, 10)
        return List.zip (List.distinct ts |> List.truncate n) (cs |> List.truncate (List.distinct ts).Length |> List.map float), cap, epochs
    }

[<FsCheck.NUnit.Property(MaxTest = 300)>]
let ``each epoch's batch is the largest grid value not above CBS at its start, capped, never below B0`` () =
    Prop.forAll (Arb.fromGen curves) (fun (cbs, cap, epochs) ->
        let bs = BatchWarmup.batches cbs grid 16 cap epochs

        let ok =
            bs
            |> List.mapi (fun i b ->
                let start = float i

                match cbs |> List.filter (fun (t, _) -> t <= start) |> List.sortBy fst |> List.tryLast with
                | None -> b = 16
                | Some(_, c) ->
                    let expected = grid |> List.filter (fun g -> float g <= c && g <= cap) |> List.fold max 16
                    b = expected)

        (bs.Length = epochs && List.forall id ok) |> Prop.label $"%A{cbs} cap {cap}: %A{bs}")

[<Test>]
let ``the warm-up's points change where the batch does, at the rule's learning rate, and parse back from their text`` () =
    let cbs = [ 0.1, 20.0; 1.0, 90.0; 3.0, 700.0 ]

    match BatchWarmup.schedule cbs grid 16 256 0.02 (Some ScalingRule.SquareRoot) 6 with
    | Ok(Schedule.BatchPoints ps as s) ->
        // epoch 1 at 16 (t = 0: before any point); epochs 2-3 at 64 (CBS 90); epoch 4 on at 256 (CBS 700, capped)
        assertEq [ 2, 64; 4, 256 ] (ps |> List.map (fun (e, b, _) -> e, b))
        let _, _, lr = ps[1]
        Assert.That(lr, Is.EqualTo(0.02 * 4.0).Within(1e-15))
        assertEq (Ok s) (Schedule.parse (Schedule.canonical s))
        let state = Schedule.next s 1 nan (Schedule.start 0.02 16)
        Assert.That((state.BatchSize, state.Lr), Is.EqualTo((64, 0.02 * 2.0)))
        Assert.That(Schedule.next s 2 nan state, Is.EqualTo state, "no point at epoch 3")
    | other -> Assert.Fail $"%A{other}"

[<TestCase("batch-points:1/32/0.1", "epoch must be >= 2")>]
[<TestCase("batch-points:3/32/0.1,2/64/0.1", "must increase")>]
[<TestCase("batch-points:2/0/0.1", ">= 1")>]
[<TestCase("batch-points:2/32", "unknown schedule")>]
let ``a malformed batch-points schedule names its problem`` (text: string, expected: string) =
    match Schedule.parse text with
    | Error e -> StringAssert.Contains(expected, e)
    | Ok s -> Assert.Fail $"parsed %A{s}"

[<Test>]
let ``no warm-up from a CBS that never lets the batch grow, a cap below B0, or a rule that sets the betas`` () =
    let err r =
        match r with
        | Error(e: string) -> e
        | Ok s -> $"built %A{s}"

    StringAssert.Contains("never reaches", err (BatchWarmup.schedule [ 0.5, 20.0 ] grid 16 1024 0.1 None 5))
    StringAssert.Contains("below the reference", err (BatchWarmup.schedule [ 0.5, 200.0 ] grid 16 8 0.1 None 5))
    StringAssert.Contains("beta1", err (BatchWarmup.schedule [ 0.5, 200.0 ] grid 16 1024 0.1 (Some ScalingRule.AdamSqrtSde) 5))

let private run (seed: int) (steps: int) (metrics: float list) : StepsToTarget.Run =
    {
        Batch = 16
        Lr = 0.1
        Seed = seed
        Final = List.last metrics
        Epochs = metrics |> List.map (fun m -> steps, m) |> Array.ofList
    }

[<Test>]
let ``a warm-up that reaches the target in fewer steps and the same examples is said to save steps at no cost`` () =
    // constant B0: 100 steps an epoch, reaching 0.8 in epoch 3; the warm-up: 100, then 25 steps an epoch, also in epoch 3
    let arm name runs : WarmupComparison.Arm = { Name = name; Runs = runs; Rows = 1600 }
    let b0 = arm "b0" [| run 1 100 [ 0.5; 0.7; 0.85 ]; run 2 100 [ 0.5; 0.75; 0.9 ] |]

    let warm =
        arm
            "warm"
            [|
                { run 1 100 [ 0.5; 0.7; 0.85 ] with Epochs = [| 100, 0.5; 25, 0.7; 25, 0.85 |] }
                { run 2 100 [ 0.5; 0.7; 0.85 ] with Epochs = [| 100, 0.5; 25, 0.7; 25, 0.81 |] }
            |]

    let rb0, rw = WarmupComparison.reach 0.8 b0, WarmupComparison.reach 0.8 warm
    Assert.That((rb0.Steps, rb0.Examples, rw.Steps, rw.Examples), Is.EqualTo((300.0, 4800.0, 150.0, 4800.0)))

    match WarmupComparison.verdict rw rb0 with
    | WarmupComparison.Verdict.Compared(saved, ratio, examples) ->
        Assert.That(saved, Is.True)
        Assert.That(ratio, Is.EqualTo 0.5)
        Assert.That(examples, Is.EqualTo "no difference the seeds can show")
    | v -> Assert.Fail $"%A{v}"

    // a seed that never reaches the target: no verdict
    let short = arm "warm" [| run 1 100 [ 0.5; 0.6 ]; warm.Runs[1] |]

    match WarmupComparison.verdict (WarmupComparison.reach 0.8 short) rb0 with
    | WarmupComparison.Verdict.NotComparable why -> StringAssert.Contains("1 of 2", why)
    | v -> Assert.Fail $"%A{v}"
