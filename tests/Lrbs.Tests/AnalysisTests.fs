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

// ---- the heat map's cell bounds

let private close (expected: float[]) (actual: float[]) =
    assertEq expected.Length actual.Length
    Array.iter2 (fun (e: float) (a: float) -> Assert.That(a, Is.EqualTo(e).Within(1e-9 * abs e))) expected actual

/// Sorted distinct positive axes of 1 to 8 values, spaced irregularly.
let private axes =
    Gen.listOf (Gen.choose (1, 100000)) |> Gen.map (List.distinct >> List.sort >> List.truncate 8 >> List.map (fun k -> float k / 100.0) >> Array.ofList)
    |> Gen.filter (fun a -> a.Length > 0)

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``each cell's bounds contain it and neighbouring cells share a bound`` () =
    Prop.forAll (Arb.fromGen axes) (fun axis ->
        let b = HeatMap.bounds axis
        let contains = Array.forall2 (fun v (lo, hi) -> lo < v && v < hi) axis b
        let shared = Array.pairwise b |> Array.forall (fun ((_, hi), (lo, _)) -> hi = lo)
        (b.Length = axis.Length && contains && shared) |> Prop.label $"%A{axis} -> %A{b}")

[<Test>]
let ``a cell's bounds are the geometric midpoints, extrapolated one mean ratio step at the edges`` () =
    let b = HeatMap.bounds [| 1.0; 4.0; 16.0 |]
    close [| 0.5; 2.0; 8.0 |] (b |> Array.map fst)
    close [| 2.0; 8.0; 32.0 |] (b |> Array.map snd)
    // an irregular axis extrapolates the mean ratio (100/1)^(1/2) = 10, not the last step
    let lo, hi = (HeatMap.bounds [| 1.0; 2.0; 100.0 |])[2]
    Assert.That(lo, Is.EqualTo(sqrt 200.0).Within(1e-9))
    Assert.That(hi, Is.EqualTo(sqrt 100000.0).Within(1e-9))
    // one value: a factor 2 either side
    let lo, hi = (HeatMap.bounds [| 8.0 |])[0]
    Assert.That(lo, Is.EqualTo(sqrt 32.0).Within(1e-12))
    Assert.That(hi, Is.EqualTo(sqrt 128.0).Within(1e-12))

[<Test>]
let ``the colour scale's middle is the midrange of the finite values`` () =
    assertEq 0.5 (HeatMap.middle [| 0.2; nan; 0.8; infinity; 0.3 |])
    assertEq 0.0 (HeatMap.middle [| nan |])

// ---- steps to a target

let private run batch lr final (epochs: (int * float) list) : StepsToTarget.Run =
    { Batch = batch; Lr = lr; Final = final; Epochs = Array.ofList epochs }

/// A run reaching metric 1 after `steps` updates (one epoch per 100 updates, climbing to it).
let private reaching batch lr steps =
    run batch lr 1.0 [ for k in 1 .. steps / 100 -> 100, float k / float (steps / 100) ]

[<Test>]
let ``a cell's steps are the median over repeats when more than half reach the target`` () =
    let never = run 8 0.1 0.5 [ 100, 0.2; 100, 0.5 ]
    // 3 of 4 repeats reach 0.9: the median of the three (200, 300, 400)
    let three = [| reaching 8 0.1 200; reaching 8 0.1 300; reaching 8 0.1 400; never |]
    let t = StepsToTarget.fewestSteps 0.9 three
    assertEq [| { StepsToTarget.Fewest.Batch = 8; StepsToTarget.Fewest.Lr = 0.1; StepsToTarget.Fewest.Steps = 300.0 } |] t.Found
    // 2 of 4 is not more than half: the batch size never reaches it
    let two = [| reaching 8 0.1 200; reaching 8 0.1 300; never; never |]
    assertEq [| 8 |] (StepsToTarget.fewestSteps 0.9 two).Missing
    assertEq 0 (StepsToTarget.fewestSteps 0.9 two).Found.Length
    // pick chooses the repeats a cell is measured on
    assertEq 200.0 (StepsToTarget.stepsToGoal 0.9 (fun c -> [| c[0] |]) three).Found[0].Steps

[<Test>]
let ``a batch size's steps are the fewest over its learning rates, batch sizes ascending`` () =
    let runs = [| reaching 16 0.1 900; reaching 16 0.2 500; reaching 16 0.4 700; reaching 4 0.1 1200; run 32 0.1 0.3 [ 100, 0.3 ] |]
    let t = StepsToTarget.fewestSteps 0.99 runs
    assertEq [| 4, 0.1, 1200.0; 16, 0.2, 500.0 |] (t.Found |> Array.map (fun f -> f.Batch, f.Lr, f.Steps))
    assertEq [| 32 |] t.Missing
    assertEq 250.0 (StepsToTarget.perfectScaling t.Found[1] 32.0)

[<Test>]
let ``the default target is the lowest best final metric over the batch sizes that learned`` () =
    let runs =
        [| run 4 0.1 0.9 [ 100, 0.5 ]; run 4 0.2 0.8 [ 100, 0.6 ] // best 0.9
           run 8 0.1 0.8 [ 50, 0.4 ]; run 8 0.1 0.9 [ 50, 0.4 ] // one cell, mean 0.85
           run 16 0.1 0.1 [ 25, 0.1 ]; run 16 0.2 0.1 [ 25, 0.2 ] |] // never improved on its first epoch
    let g = StepsToTarget.goal None runs
    Assert.That(g.Target, Is.EqualTo(0.85).Within(1e-12))
    assertEq [| 16 |] g.Idle
    assertEq { StepsToTarget.Goal.Target = 0.7; StepsToTarget.Goal.Idle = [| 16 |] } (StepsToTarget.goal (Some 0.7) runs)
    // no row learned: no default target
    Assert.That((StepsToTarget.goal None runs[4..]).Target, Is.NaN)

/// Runs over batch sizes 4, 8, 16 and two learning rates with `repeats` repeats each; every epoch
/// has 10 to 200 steps and a metric in [0, 1); with `reach`, the last epoch's metric is 1.
let private randomGrid repeats reach =
    let epochs = Gen.listOfLength 6 (Gen.zip (Gen.choose (10, 200)) (Gen.map (fun k -> float k / 1000.0) (Gen.choose (0, 999))))
    let cells = [ for b in [ 4; 8; 16 ] do for lr in [ 0.01; 0.1 ] do for _ in 1..repeats -> b, lr ]
    cells
    |> List.map (fun (b, lr) ->
        epochs |> Gen.map (fun e -> run b lr 1.0 (if reach then e @ [ 10, 1.0 ] else e)))
    |> Gen.sequenceToList |> Gen.map Array.ofList

let private twoTargets = Gen.zip (Gen.choose (0, 1000)) (Gen.choose (0, 1000)) |> Gen.map (fun (a, b) -> float (min a b) / 1000.0, float (max a b) / 1000.0)

let private monotone (low: StepsToTarget.Table) (high: StepsToTarget.Table) =
    high.Found |> Array.forall (fun h -> low.Found |> Array.exists (fun l -> l.Batch = h.Batch && l.Steps <= h.Steps))

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``with one repeat per cell a higher target takes at least as many steps and is reached by no more batch sizes`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (randomGrid 1 false) twoTargets)) (fun (runs, (t1, t2)) ->
        let low, high = StepsToTarget.fewestSteps t1 runs, StepsToTarget.fewestSteps t2 runs
        monotone low high |> Prop.label $"{t1}: %A{low}; {t2}: %A{high}")

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``when every repeat reaches both targets the steps are monotone in the target`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (randomGrid 3 true) twoTargets)) (fun (runs, (t1, t2)) ->
        let low, high = StepsToTarget.fewestSteps t1 runs, StepsToTarget.fewestSteps t2 runs
        (high.Found.Length = 3 && monotone low high) |> Prop.label $"{t1}: %A{low}; {t2}: %A{high}")

[<Test>]
let ``the median over the repeats that reach can fall when a higher target loses a repeat`` () =
    // at 0.5 all three reach (100, 200, 300): median 200; at 0.9 one stops short: median of 100, 250
    let runs = [| run 8 0.1 1.0 [ 100, 0.95 ]; run 8 0.1 1.0 [ 200, 0.6; 50, 0.95 ]; run 8 0.1 0.7 [ 300, 0.7 ] |]
    assertEq 200.0 (StepsToTarget.fewestSteps 0.5 runs).Found[0].Steps
    assertEq 175.0 (StepsToTarget.fewestSteps 0.9 runs).Found[0].Steps

// ---- B_crit's bootstrap, the noise scale by loss, power laws

/// Runs that reach the target in exactly S(B) = 100 (1 + 64/B) steps, `repeats` per batch size.
let private pareto repeats =
    [| for b in [ 8; 16; 32; 64; 128; 256 ] do for _ in 1..repeats -> run b 0.1 1.0 [ 100 * (b + 64) / b, 1.0 ] |]

[<Test>]
let ``B_crit's bootstrap of points on the Pareto curve is the curve's B_crit, over repeats when every cell has some`` () =
    for repeats, over in [ 1, false; 2, true ] do
        let runs = pareto repeats
        let found = (StepsToTarget.fewestSteps 1.0 runs).Found
        let bc = (CriticalBatchInterval.fit found).Value.BCrit
        Assert.That(bc, Is.EqualTo(64.0).Within(0.01))
        match CriticalBatchInterval.bootstrap 1.0 runs found with
        | Some i ->
            assertEq over i.OverRepeats
            Assert.That(i.Low, Is.LessThanOrEqualTo(bc + 1e-6))
            Assert.That(i.High, Is.GreaterThanOrEqualTo(bc - 1e-6))
            Assert.That(i.High - i.Low, Is.LessThan 0.05)
        | None -> Assert.Fail "no interval"
    // two batch sizes give no fit and so no interval
    let two = pareto 1 |> Array.filter (fun r -> r.Batch <= 16)
    Assert.That(CriticalBatchInterval.bootstrap 1.0 two (StepsToTarget.fewestSteps 1.0 two).Found, Is.EqualTo None)

[<Test>]
let ``B_crit's bootstrap over repeats spreads with the repeats' steps`` () =
    // repeats that disagree widen the interval; identical repeats do not
    let noisy = [| for r in pareto 1 do yield r; yield { r with Epochs = [| fst r.Epochs[0] * 3 / 2, 1.0 |] } |]
    let found = (StepsToTarget.fewestSteps 1.0 noisy).Found
    match CriticalBatchInterval.bootstrap 1.0 noisy found with
    | Some i -> Assert.That(i.High - i.Low, Is.GreaterThan 1.0)
    | None -> Assert.Fail "no interval"
    Assert.That(CriticalBatchInterval.overRepeats (Array.append (pareto 2) [| run 512 0.1 1.0 [ 100, 1.0 ] |]), Is.False)

[<Test>]
let ``B_simple in a loss bin is the ratio of the mean estimates, bins with one trial or no positive ratio dropped`` () =
    let s trial loss g2 tr : NoiseByLoss.Sample = { Trial = trial; TrainLoss = loss; G2 = g2; Trace = tr }
    let bins =
        NoiseByLoss.bins
            [| s "a" 0.45 1.0 10.0; s "b" 0.46 3.0 10.0 // one bin, two trials: 10 / 2 = 5 (the mean ratio would be 6.67)
               s "a" 2.0 1.0 10.0; s "b" 2.05 -3.0 1.0 // mean |G|² below 0: dropped
               s "a" 0.05 1.0 1.0 // one trial: dropped
               s "a" 0.0 1.0 1.0; s "b" 0.0 1.0 1.0 |] // no positive loss
    assertEq 1 bins.Length
    Assert.That(bins[0].B, Is.EqualTo(5.0).Within(1e-12))
    Assert.That(bins[0].Loss, Is.EqualTo(10.0 ** -0.35).Within(1e-12))
    Assert.That(bins[0].Low, Is.LessThanOrEqualTo 5.0)
    Assert.That(bins[0].High, Is.GreaterThanOrEqualTo 5.0)
    Assert.That(bins[0].High - bins[0].Low, Is.GreaterThan 1.0, "resampling the two trials moves the ratio")
    // highest loss first
    let two = NoiseByLoss.bins [| s "a" 0.5 1.0 2.0; s "b" 0.5 1.0 2.0; s "a" 5.0 1.0 4.0; s "b" 5.0 1.0 4.0 |]
    assertEq [| 4.0; 2.0 |] (two |> Array.map _.B)

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``a power law fitted on log-log axes recovers its exponent and passes through its points`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (1, 1000)) (Gen.choose (-20, 20)))) (fun (c, k) ->
        let xs = PowerLaw.logSpaced 4.0 4096.0 6
        let ys = xs |> Array.map (fun x -> float c * x ** (float k / 10.0))
        match PowerLaw.fit xs ys with
        | Some l -> (abs (l.Slope - float k / 10.0) < 1e-9 && Array.forall2 (fun x y -> abs (l.At x / y - 1.0) < 1e-9) xs ys) |> Prop.label $"%A{l}"
        | None -> false |> Prop.label "no fit")

[<Test>]
let ``log-spaced points run from lo to hi with a constant ratio`` () =
    let p = PowerLaw.logSpaced 8.0 512.0 4
    close [| 8.0; 32.0; 128.0; 512.0 |] p
    Assert.That(PowerLaw.fit [| 4.0; 4.0 |] [| 1.0; 2.0 |], Is.EqualTo None)

// ---- the shape of lr*(B): local slopes, the surge form beside the power law (OptimumShape) ----

let private fitOf (best: (int * float)[]) : ScalingFit.Fit =
    { K = (Statistics.linearFit (best |> Array.map (fst >> float >> log)) (best |> Array.map (snd >> log))).Value |> snd
      Interval = None; Best = best; Method = "test"; AtEdge = 0; Replicates = [||] }

[<Test>]
let ``local slopes are the log-log slopes between neighbouring batch sizes`` () =
    let best = [| 4, 1e-3; 16, 4e-3; 64, 8e-3 |]
    let slopes = OptimumShape.localSlopes (fitOf best)
    assertEq [| 4, 16; 16, 64 |] (slopes |> Array.map (fun s -> s.From, s.To))
    Assert.That(slopes[0].Slope, Is.EqualTo(1.0).Within 1e-12)
    Assert.That(slopes[1].Slope, Is.EqualTo(0.5).Within 1e-12)

[<TestCase(64.0)>]
[<TestCase(300.0)>]
let ``the surge fit recovers lr_max and B_noise from an exact surge and says the slope changes sign at its peak`` (bNoise: float) =
    let batches = [| 8; 16; 32; 64; 128; 256; 512; 1024; 2048 |]
    let best = batches |> Array.map (fun b -> b, OptimumShape.surge 0.003 bNoise (float b))
    let f = fitOf best
    let s = (OptimumShape.fitSurge f).Value
    Assert.That(s.BNoise, Is.EqualTo(bNoise).Within(1e-4 * bNoise))
    Assert.That(s.LrMax, Is.EqualTo(0.003).Within 1e-8)
    let c = (OptimumShape.compare f).Value
    Assert.That(c.SurgeAic, Is.LessThan(c.PowerLawAic - 2.0))
    StringAssert.Contains("The surge form describes the best learning rates better", c.Sentence)
    StringAssert.Contains("inside the batch sizes run, where its slope changes sign", c.Sentence)
    // the point estimates turn at the first batch size above the peak's neighbourhood
    let turn = OptimumShape.signChanges (OptimumShape.localSlopes f)
    Assert.That(turn.Length, Is.EqualTo 1)
    Assert.That(float turn[0] / bNoise, Is.InRange(0.5, 2.0))

[<Test>]
let ``a linear rule is described better by one power law: the surge's slope cannot exceed 1/2`` () =
    let best = [| 4; 8; 16; 32; 64; 128 |] |> Array.map (fun b -> b, 1e-4 * float b * (1.0 + 0.02 * sin (float b)))
    let c = (OptimumShape.compare (fitOf best)).Value
    Assert.That(c.PowerLawAic, Is.LessThan(c.SurgeAic - 2.0))
    StringAssert.Contains("One power law describes the best learning rates better", c.Sentence)

[<Test>]
let ``the comparison needs 5 batch sizes`` () =
    Assert.That(OptimumShape.compare (fitOf [| 4, 1e-3; 8, 2e-3; 16, 3e-3; 32, 3.5e-3 |]), Is.EqualTo None)

[<Test>]
let ``the fit's replicates give each local slope an interval that holds the slope`` () =
    let cells = grid 0.5 1e-3 [| 4; 16; 64; 256; 1024 |] 0.01 5 3UL
    let f = (ScalingFit.fit cells (fun _ -> 0.0) 5UL).Value
    Assert.That(f.Replicates.Length, Is.EqualTo 1000)
    for s in OptimumShape.localSlopes f do
        let i = s.Interval.Value
        Assert.That(s.Slope, Is.InRange(i.Low, i.High), $"{s.From} to {s.To}")

[<Test>]
let ``a surge fitted to a rising power law says it has no peak near the batch sizes instead of quoting the search's edge`` () =
    let best = [| 4; 8; 16; 32; 64; 128 |] |> Array.map (fun b -> b, 1e-3 * sqrt (float b))
    let s = (OptimumShape.fitSurge (fitOf best)).Value
    Assert.That(s.AtSearchEdge, Is.True)
    StringAssert.Contains("has no peak near the batch sizes run", (OptimumShape.compare (fitOf best)).Value.Sentence)
