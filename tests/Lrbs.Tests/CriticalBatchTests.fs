/// The critical batch size's newer estimators on constructed data with a known answer: Merrill
/// et al.'s direct measurement from branches (CriticalBatchDirect) and Zhang et al.'s 20%
/// overhead from the steps-to-target curve (CriticalBatch.overheadBatch).
module Lrbs.Tests.CriticalBatchTests

open System
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Analysis
open Lrbs.Core.Analysis.CriticalBatchDirect
open Lrbs.Tests.Support

/// Branches at B0 2^j (j = 0..n-1) whose loss stays within ϵ/2 of the base up to 2^c and rises by
/// more than ϵ per doubling above it: the critical batch size is B0 2^c by construction.
let private degradingAbove (b0: int) (n: int) (c: int) (eps: float) (jitter: float[]) =
    [
        for j in 0 .. n - 1 ->
            let above = if j > c then eps * float (1 + j - c) else 0.0
            { BatchSize = b0 <<< j; Loss = 2.0 + above + jitter[j] * eps / 2.0 }
    ]

let private cases =
    gen {
        let! n = Gen.choose (2, 8)
        let! c = Gen.choose (0, n - 1)
        let! b0 = Gen.elements [ 1; 4; 16; 32 ]
        let! eps = Gen.elements [ 0.001; 0.01; 0.1 ]
        let! jitter = Gen.arrayOfLength n (Gen.map (fun (x: int) -> float x / 1000.0) (Gen.choose (0, 999)))
        return n, c, b0, eps, jitter
    }

[<FsCheck.NUnit.Property(MaxTest = 300)>]
let ``branches built to degrade above a chosen batch size give that batch size`` () =
    Prop.forAll (Arb.fromGen cases) (fun (n, c, b0, eps, jitter) ->
        match estimate eps (degradingAbove b0 n c eps jitter) with
        | Ok e ->
            let upper = if c + 1 < n then Some(b0 <<< (c + 1)) else None

            (e.Lower = (b0 <<< c) && e.Upper = upper && e.IsBound = (c = n - 1))
            |> Prop.label $"n {n} c {c}: got {e.Lower}..{e.Upper}"
        | Error m -> false |> Prop.label m)

[<Test>]
let ``the point is the geometric mean of the bracketing batch sizes, or the bound itself at the grid's top`` () =
    let branches = degradingAbove 16 5 2 0.01 (Array.zeroCreate 5)

    match estimate 0.01 branches with
    | Ok e ->
        assertEq (64, Some 128) (e.Lower, e.Upper)
        Assert.That(e.Point, Is.EqualTo(sqrt (64.0 * 128.0)).Within(1e-9))
    | Error m -> Assert.Fail m

    match estimate 0.01 (degradingAbove 16 5 4 0.01 (Array.zeroCreate 5)) with
    | Ok e ->
        assertEq (256, None, 256.0) (e.Lower, e.Upper, e.Point)
        Assert.That(e.IsBound, Is.True)
    | Error m -> Assert.Fail m

[<Test>]
let ``a larger branch that keeps up counts even past one that did not, as the paper's maximum reads`` () =
    // 32 falls behind 16, but 64 is within the tolerance of 16 and 32 both
    let branches =
        [
            { BatchSize = 16; Loss = 1.000 }
            { BatchSize = 32; Loss = 1.020 }
            { BatchSize = 64; Loss = 1.005 }
            { BatchSize = 128; Loss = 1.5 }
        ]

    match estimate 0.01 branches with
    | Ok e -> assertEq (64, Some 128) (e.Lower, e.Upper)
    | Error m -> Assert.Fail m

[<Test>]
let ``a diverged branch never keeps up, and bad input names its problem`` () =
    Assert.That(smoothedLast 0.5 [| 1.0; nan; 0.5 |], Is.EqualTo infinity)
    Assert.That(smoothedLast 0.5 [| 4.0; 2.0; 1.0 |], Is.EqualTo(0.5 * 1.0 + 0.5 * (0.5 * 2.0 + 0.5 * 4.0)))
    let ok = degradingAbove 16 3 1 0.01 (Array.zeroCreate 3)

    let message r =
        match r with
        | Error m -> m
        | Ok _ -> "no error"

    StringAssert.Contains("tolerance:", message (estimate 0.0 ok))
    StringAssert.Contains("tolerance:", message (estimate -1.0 ok))
    StringAssert.Contains("two or more", message (estimate 0.01 ok[..0]))
    StringAssert.Contains("given twice", message (estimate 0.01 (ok @ [ ok.Head ])))
    StringAssert.Contains("not measured", message (estimate 0.01 [ ok.Head; { ok[1] with Loss = nan } ]))

[<Test>]
let ``over repeats the point comes from the mean losses and the interval spans the repeats' own points`` () =
    let r1 = degradingAbove 16 5 1 0.01 (Array.zeroCreate 5)
    let r2 = degradingAbove 16 5 3 0.01 (Array.zeroCreate 5)

    match overRepeats 0.01 [ r1; r2 ] with
    | Ok o ->
        assertEq 2 o.Repeats
        Assert.That(o.Low, Is.EqualTo(sqrt (32.0 * 64.0)).Within(1e-9))
        Assert.That(o.High, Is.EqualTo(sqrt (128.0 * 256.0)).Within(1e-9))
        Assert.That(o.Estimate.Point, Is.InRange(o.Low, o.High))
    | Error m -> Assert.Fail m

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``Zhang's critical batch size costs exactly the overhead over linear scaling from the anchor`` () =
    let g = Gen.zip3 (Gen.choose (1, 4000)) (Gen.choose (1, 2000)) (Gen.elements [ 0.05; 0.2; 0.5 ])

    Prop.forAll (Arb.fromGen (Gen.zip g (Gen.choose (1, 64)))) (fun ((smin, bcrit, o), anchor) ->
        let p: CriticalBatch.Pareto = { SMin = float smin; BCrit = float bcrit }
        let a = float anchor
        let b = CriticalBatch.overheadBatch o a p
        let linear (x: float) = p.Steps a * a / x // the ideal: steps at the anchor, scaled by A / B
        let ratio x = p.Steps x / linear x

        (abs (ratio b - (1.0 + o)) < 1e-9 && ratio (b * 0.99) < 1.0 + o && ratio (b * 1.01) > 1.0 + o)
        |> Prop.label $"B* {b}: overhead {ratio b - 1.0}")

[<Test>]
let ``Zhang's closed form is their code's, b - 5 a B + 5 a 1.2 256 = 0, at the default overhead`` () =
    let p: CriticalBatch.Pareto = { SMin = 1000.0; BCrit = 300.0 }
    let a, b = p.SMin, p.SMin * p.BCrit
    let bStar = CriticalBatch.overheadBatch CriticalBatch.defaultOverhead 256.0 p
    Assert.That(b - 5.0 * a * bStar + 5.0 * a * 1.2 * 256.0, Is.EqualTo(0.0).Within(1e-6))
    Assert.That(CriticalBatch.anchorExcess 256.0 p, Is.EqualTo(256.0 / 300.0).Within(1e-12))

/// Distinct values, in random order.
let private distinctValues =
    gen {
        let! n = Gen.choose (3, 12)
        let! xs = Gen.arrayOfLength n (Gen.choose (1, 100000))
        return xs |> Array.distinct |> Array.map float
    }
    |> Gen.filter (fun xs -> xs.Length >= 3)

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``Spearman's rho is 1 for any increasing transform and -1 for any decreasing one`` () =
    Prop.forAll (Arb.fromGen distinctValues) (fun xs ->
        let up = CriticalBatchOverTraining.spearman xs (xs |> Array.map (fun x -> log x + x ** 3.0))
        let down = CriticalBatchOverTraining.spearman xs (xs |> Array.map (fun x -> 1.0 / x))
        (abs (up - 1.0) < 1e-12 && abs (down + 1.0) < 1e-12) |> Prop.label $"up {up}, down {down}")

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``a proxy that is c times the measurement tracks it with rho 1 and ratio c, its interval a point`` () =
    Prop.forAll (Arb.fromGen (Gen.zip distinctValues (Gen.elements [ 0.25; 1.0; 3.0; 40.0 ]))) (fun (cbs, c) ->
        match CriticalBatchOverTraining.tracking (cbs |> Array.map (fun b -> b, c * b)) with
        | Some t ->
            (abs (t.Rho - 1.0) < 1e-12
             && abs (t.Ratio / c - 1.0) < 1e-12
             && abs (t.RatioLow / c - 1.0) < 1e-12
             && abs (t.RatioHigh / c - 1.0) < 1e-12
             && t.Pairs = cbs.Length)
            |> Prop.label $"%A{t}"
        | None -> false |> Prop.label "no tracking")

[<Test>]
let ``B_simple is read log-log between its measurements, exactly at them, and not outside them`` () =
    let curve = [| 100.0, 10.0; 400.0, 40.0; 1600.0, 40.0 |]
    Assert.That(CriticalBatchOverTraining.interpolate curve 400.0, Is.EqualTo(Some 40.0))
    // halfway in log examples between 100 and 400: sqrt(10 40) = 20
    Assert.That((CriticalBatchOverTraining.interpolate curve 200.0).Value, Is.EqualTo(20.0).Within(1e-12))
    Assert.That((CriticalBatchOverTraining.interpolate curve 800.0).Value, Is.EqualTo(40.0).Within(1e-12))
    Assert.That(CriticalBatchOverTraining.interpolate curve 50.0, Is.EqualTo None)
    Assert.That(CriticalBatchOverTraining.interpolate curve 3200.0, Is.EqualTo None)
    Assert.That(CriticalBatchOverTraining.tracking [| 16.0, 20.0; 32.0, 40.0 |], Is.EqualTo None, "two points: no interval")

[<Test>]
let ``CBS(t) orders its points by t, counts the examples seen, and names a point whose branches do not measure`` () =
    let one = [ [ { BatchSize = 16; Loss = 1.0 }; { BatchSize = 32; Loss = 1.0 }; { BatchSize = 64; Loss = 2.0 } ] ]
    let r = CriticalBatchOverTraining.points 0.01 600.0 [ 2.0, one; 0.5, one ]

    match r with
    | Ok ps ->
        assertEq [ 0.5, 300.0; 2.0, 1200.0 ] (ps |> List.map (fun p -> p.At, p.Examples))
        Assert.That(ps.Head.Cbs.Estimate.Point, Is.EqualTo(sqrt (32.0 * 64.0)).Within(1e-9))
    | Error e -> Assert.Fail e

    match CriticalBatchOverTraining.points 0.01 600.0 [ 1.0, [ [ { BatchSize = 16; Loss = 1.0 } ] ] ] with
    | Error e -> StringAssert.Contains("branch point 1 epochs", e)
    | Ok _ -> Assert.Fail "one branch measured a critical batch size"
