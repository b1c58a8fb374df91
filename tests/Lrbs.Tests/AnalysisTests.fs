module Lrbs.Tests.AnalysisTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Engine
open Lrbs.Core.Analysis
open Lrbs.Tests.Support

/// A grid whose score is a parabola in log lr peaking at c B^k, on log-spaced learning rates.
let private grid (k: float) (c: float) (batches: int[]) (noise: float) (repeats: int) (seed: uint64) =
    let rng = Rng(seed)
    let lrs = [| for e in -6.0 .. 0.5 .. 2.0 -> 10.0 ** e |]
    [| for b in batches do
           for lr in lrs ->
               let peak = log c + k * log (float b)
               { ScalingFit.Cell.Batch = b; ScalingFit.Cell.Lr = lr
                 ScalingFit.Cell.Values = Array.init repeats (fun _ -> 1.0 - 0.05 * (log lr - peak) ** 2.0 + noise * Statistics.normal rng) } |]

let private settings = Gen.zip3 (Gen.elements [ 0.0; 0.5; 0.75; 1.0 ]) (Gen.elements [ 1e-4; 1e-3 ]) (Gen.elements [ [| 4; 16; 64; 256 |]; [| 8; 32; 128; 512; 2048 |] ])

[<FsCheck.NUnit.Property(MaxTest = 40)>]
let ``a grid whose best learning rate follows B^k exactly gives k`` () =
    Prop.forAll (Arb.fromGen settings) (fun (k, c, batches) ->
        match ScalingFit.fit (grid k c batches 0.0 1 1UL) (fun _ -> 0.0) 7UL with
        | Some f -> abs (f.K - k) < 1e-9 |> Prop.label $"k {k}, fitted {f.K}"
        | None -> false |> Prop.label "no fit")

[<Test>]
let ``a square-root grid gives k = 0.5 and the verdict says so`` () =
    match ScalingFit.fit (grid 0.5 1e-3 [| 4; 16; 64; 256; 1024 |] 0.0 1 1UL) (fun _ -> 0.002) 3UL with
    | Some f ->
        Assert.That(f.K, Is.EqualTo(0.5).Within(1e-9))
        StringAssert.Contains("square-root rule (k = 0.5), not the linear", ScalingFit.verdict f)
    | None -> Assert.Fail "no fit"

[<FsCheck.NUnit.Property(MaxTest = 25)>]
let ``the bootstrap interval over repeats contains the fitted k`` () =
    Prop.forAll (Arb.fromGen (Gen.zip settings (Gen.choose (1, 1000)))) (fun ((k, c, batches), seed) ->
        match ScalingFit.fit (grid k c batches 0.01 5 (uint64 seed)) (fun _ -> 0.0) (uint64 seed) with
        | Some { K = k; Interval = Some { Low = low; High = high } } -> (low <= k && k <= high) |> Prop.label $"{low} <= {k} <= {high}"
        | Some _ -> false |> Prop.label "no interval"
        | None -> false |> Prop.label "no fit")

[<Test>]
let ``a partial sweep (one cell repeated, the rest single) gives no interval unless cells have a standard error`` () =
    // a sweep stopped in its second repeat: one cell has 3 values, every other cell 1
    let cells = grid 0.5 1e-3 [| 4; 16; 64; 256 |] 0.01 1 5UL
    cells[0] <- { cells[0] with Values = [| cells[0].Values[0]; 0.9; 0.95 |] }
    match ScalingFit.fit cells (fun _ -> 0.0) 1UL with
    | Some f ->
        Assert.That(f.Interval, Is.EqualTo None, "resampling single repeats would print a zero-width interval")
        Assert.That(f.Method, Does.StartWith "no interval")
        StringAssert.Contains("No verdict between the linear and square-root rules", ScalingFit.verdict f)
    | None -> Assert.Fail "no fit"
    match ScalingFit.fit cells (fun _ -> 0.01) 1UL with
    | Some { Interval = Some { Low = low; High = high }; Method = m } ->
        Assert.That(high - low, Is.GreaterThan 0.0)
        Assert.That(m, Does.StartWith "parametric")
    | other -> Assert.Fail $"expected a parametric interval, got %A{other}"

[<Test>]
let ``no verdict when every batch size's best learning rate is at the edge of the grid`` () =
    // the score keeps rising with lr: the optimum lies beyond the grid's largest value
    let cells = [| for b in [ 4; 16; 64 ] do for lr in [ 1e-4; 1e-3; 1e-2 ] -> { ScalingFit.Cell.Batch = b; ScalingFit.Cell.Lr = lr; ScalingFit.Cell.Values = [| log10 lr + 5.0 |] } |]
    match ScalingFit.fit cells (fun _ -> 0.001) 1UL with
    | Some f ->
        Assert.That(f.AtEdge, Is.EqualTo 3)
        Assert.That(ScalingFit.measured f, Is.False)
        StringAssert.Contains("No verdict", ScalingFit.verdict f)
    | None -> Assert.Fail "no fit"
    match ScalingFit.fit (grid 0.5 1e-3 [| 4; 16; 64 |] 0.0 1 1UL) (fun _ -> 0.0) 1UL with
    | Some f ->
        Assert.That(f.AtEdge, Is.EqualTo 0)
        Assert.That(ScalingFit.measured f, Is.True)
    | None -> Assert.Fail "no fit"

[<Test>]
let ``the best learning rate is the parabola's vertex inside the row, the best cell at its edge`` () =
    let row = [| 1e-3, 0.5; 1e-2, 0.8; 1e-1, 0.6 |]
    let best = ScalingFit.bestLr row
    Assert.That(best, Is.GreaterThan 1e-3)
    Assert.That(best, Is.LessThan 1e-1)
    Assert.That(ScalingFit.bestLr [| 1e-3, 0.9; 1e-2, 0.8; 1e-1, 0.6 |], Is.EqualTo 1e-3)

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``published values that are fractions k/N are recognised at N or below`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.elements [ 568; 600; 2840; 6000 ]) (Gen.listOfLength 20 (Gen.choose (0, 1000))))) (fun (n, ks) ->
        let values = ks |> List.map (fun k -> float (k * n / 1000) / float n) |> List.map (fun v -> { Fractions.Value = System.Math.Round(v, 4); Fractions.Decimals = 4 }) |> Array.ofList
        match Fractions.smallestDenominator 9999 values with
        | Some m -> (m <= n && values |> Array.forall (Fractions.fits m)) |> Prop.label $"found {m} for {n}"
        | None -> false |> Prop.label "none")

[<Test>]
let ``the study's published S2 style values reveal 6,000 and 568`` () =
    let printed (decimals: int) (n: int) ks = ks |> Array.map (fun k -> { Fractions.Value = System.Math.Round(float k / float n, decimals); Fractions.Decimals = decimals })
    // a full table (7 batch sizes x 3 learning rates) printed with 5 decimals pins 6,000 down
    let ks = Array.init 21 (fun i -> 4800 + (i * 379) % 700)
    assertEq (Some 6000) (Fractions.smallestDenominator 99999 (printed 5 6000 ks))
    // with 4 decimals 4,000 (which shares 2,000 with 6,000) fits as well: both are listed
    let four = printed 4 6000 ks
    Assert.That(Fractions.consistent 9999 four, Does.Contain 6000)
    Assert.That(Fractions.consistent 9999 four |> Array.forall (fun n -> four |> Array.forall (Fractions.fits n)), Is.True)
    Assert.That(Fractions.chanceFits 6000 (printed 4 6000 ks[..9]), Is.GreaterThan 0.1, "10 values of 4 decimals leave room for chance fits")
    assertEq (Some 568) (Fractions.smallestDenominator 99999 (printed 5 568 (Array.init 21 (fun i -> 60 + (i * 97) % 500))))
    assertEq (Some { Fractions.Value = 0.893; Fractions.Decimals = 3 }) (Fractions.ofText " 0.893 ")

[<Test>]
let ``steps to reach a target count the updates up to the first epoch that reaches it`` () =
    assertEq (Some 300) (Targets.stepsToReach 0.8 [| 100, 0.5; 100, 0.7; 100, 0.81; 100, 0.9 |])
    assertEq None (Targets.stepsToReach 0.95 [| 100, 0.5; 100, 0.9 |])

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``least squares recovers a line and quantiles are ordered`` () =
    Prop.forAll (Arb.fromGen (Gen.zip3 (Gen.choose (-50, 50)) (Gen.choose (-50, 50)) (Gen.listOfLength 10 (Gen.choose (-100, 100))))) (fun (a, b, xs) ->
        let xs = xs |> List.map float |> List.distinct |> Array.ofList
        let ys = xs |> Array.map (fun x -> float a + float b * x)
        match Statistics.linearFit xs ys with
        | Some(a', b') -> abs (a' - float a) < 1e-6 && abs (b' - float b) < 1e-9 && Statistics.quantile 0.025 ys <= Statistics.quantile 0.975 ys
        | None -> xs.Length < 2)
