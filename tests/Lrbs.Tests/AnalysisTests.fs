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
    let lrs = [| for e in -6.0 .. 0.5..2.0 -> 10.0 ** e |]

    [|
        for b in batches do
            for lr in lrs ->
                let peak = log c + k * log (float b)

                {
                    ScalingFit.Cell.Batch = b
                    ScalingFit.Cell.Lr = lr
                    ScalingFit.Cell.Values = Array.init repeats (fun _ -> 1.0 - 0.05 * (log lr - peak) ** 2.0 + noise * Statistics.normal rng)
                    ScalingFit.Cell.Seeds = Array.init repeats (fun i -> i + 1)
                    ScalingFit.Cell.Noise = nan
                }
    |]

/// The same cells, each with a known standard error.
let private withNoise (se: float) (cells: ScalingFit.Cell[]) = cells |> Array.map (fun c -> { c with Noise = se })

let private settings =
    Gen.zip3 (Gen.elements [ 0.0; 0.5; 0.75; 1.0 ]) (Gen.elements [ 1e-4; 1e-3 ]) (Gen.elements [ [| 4; 16; 64; 256 |]; [| 8; 32; 128; 512; 2048 |] ])

[<FsCheck.NUnit.Property(MaxTest = 40)>]
let ``a grid whose best learning rate follows B^k exactly gives k`` () =
    Prop.forAll (Arb.fromGen settings) (fun (k, c, batches) ->
        match ScalingFit.fit (grid k c batches 0.0 1 1UL) 7UL with
        | Some f -> abs (f.K - k) < 1e-9 |> Prop.label $"k {k}, fitted {f.K}"
        | None -> false |> Prop.label "no fit")

[<Test>]
let ``a square-root grid with seeds gives k = 0.5 and the verdict says so`` () =
    match ScalingFit.fit (grid 0.5 1e-3 [| 4; 16; 64; 256; 1024 |] 0.002 3 1UL) 3UL with
    | Some f ->
        Assert.That(f.K, Is.EqualTo(0.5).Within(0.02))
        assertEq (ScalingFit.Coverage.Seeds 3) f.Coverage
        StringAssert.Contains("square-root rule (k = 0.5), not the linear", ScalingFit.verdict f)
        assertEq (Some "square-root") (ScalingFit.rule f)
    | None -> Assert.Fail "no fit"

[<Test>]
let ``with one seed per cell the interval covers the test set's sampling only, and there is no verdict`` () =
    match ScalingFit.fit (withNoise 0.002 (grid 0.5 1e-3 [| 4; 16; 64; 256; 1024 |] 0.0 1 1UL)) 3UL with
    | Some f ->
        Assert.That(f.Interval.IsSome, Is.True)
        assertEq ScalingFit.Coverage.TestSampling f.Coverage
        StringAssert.Contains("No verdict about the linear or square-root rule", ScalingFit.verdict f)
        StringAssert.Contains("not seed-to-seed variation", ScalingFit.verdict f)
        assertEq None (ScalingFit.rule f)
    | None -> Assert.Fail "no fit"

[<Test>]
let ``two batch sizes give k but no verdict`` () =
    match ScalingFit.fit (grid 0.5 1e-3 [| 16; 256 |] 0.002 3 1UL) 3UL with
    | Some f ->
        Assert.That(f.K, Is.EqualTo(0.5).Within(0.05))
        StringAssert.Contains("it rests on 2 batch size(s) with a bracketed optimum, and a rule needs at least 3", ScalingFit.verdict f)
    | None -> Assert.Fail "no fit"

[<FsCheck.NUnit.Property(MaxTest = 25)>]
let ``the bootstrap interval over seeds contains the fitted k`` () =
    Prop.forAll (Arb.fromGen (Gen.zip settings (Gen.choose (1, 1000)))) (fun ((k, c, batches), seed) ->
        match ScalingFit.fit (grid k c batches 0.01 5 (uint64 seed)) (uint64 seed) with
        | Some { K = k; Interval = Some { Low = low; High = high } } -> (low <= k && k <= high) |> Prop.label $"{low} <= {k} <= {high}"
        | Some _ -> false |> Prop.label "no interval"
        | None -> false |> Prop.label "no fit")

[<Test>]
let ``seeds are resampled jointly: a seed good in every cell moves every vertex together, so k's interval stays narrow`` () =
    // each seed shifts every cell of the grid by the same amount (a good or bad initialisation):
    // resampling seeds jointly keeps the rows' optima where they are; drawing cells apart would not
    let base' = grid 0.5 1e-3 [| 4; 16; 64; 256 |] 0.0 1 1UL
    let shifts = [| 0.0; 0.05; -0.05; 0.1; -0.1 |]

    let cells =
        base' |> Array.map (fun c -> { c with Values = shifts |> Array.map (fun d -> c.Values[0] + d); Seeds = [| 1..5 |] })

    let f = (ScalingFit.fit cells 1UL).Value
    let i = f.Interval.Value
    Assert.That(i.High - i.Low, Is.LessThan 1e-6, "a shift common to every cell moves no optimum")

[<Test>]
let ``a partial sweep (one cell with more seeds) is resampled within each cell's standard error, or has no interval`` () =
    let cells = grid 0.5 1e-3 [| 4; 16; 64; 256 |] 0.01 1 5UL
    cells[0] <- { cells[0] with Values = [| cells[0].Values[0]; 0.9; 0.95 |]; Seeds = [| 1; 2; 3 |] }

    match ScalingFit.fit cells 1UL with
    | Some f ->
        Assert.That(f.Interval, Is.EqualTo None)
        Assert.That(f.Method, Does.StartWith "no interval")
        StringAssert.Contains("No verdict", ScalingFit.verdict f)
    | None -> Assert.Fail "no fit"

    match ScalingFit.fit (withNoise 0.01 cells) 1UL with
    | Some { Interval = Some { Low = low; High = high }; Coverage = coverage } ->
        Assert.That(high - low, Is.GreaterThan 0.0)
        assertEq ScalingFit.Coverage.TestSampling coverage
    | other -> Assert.Fail $"expected an interval, got %A{other}"

[<Test>]
let ``an optimum at the grid's edge is a bound: left out of k, named, and the bracket search pointed to`` () =
    // the score keeps rising with lr at batch sizes 256 and 1024: their optimum lies past the grid's top
    let lrs = [ 1e-4; 1e-3; 1e-2 ]

    let cells =
        [|
            for b in [ 4; 16; 64; 256; 1024 ] do
                for lr in lrs ->
                    let peak = log 1e-3 + 0.5 * log (float b / 16.0)
                    let v = if b >= 256 then log10 lr + 5.0 else 1.0 - 0.05 * (log lr - peak) ** 2.0

                    {
                        ScalingFit.Cell.Batch = b
                        ScalingFit.Cell.Lr = lr
                        ScalingFit.Cell.Values = [| v; v + 0.001; v - 0.001 |]
                        ScalingFit.Cell.Seeds = [| 1; 2; 3 |]
                        ScalingFit.Cell.Noise = nan
                    }
        |]

    let f = (ScalingFit.fit cells 1UL).Value
    Assert.That(f.AtEdge, Is.EqualTo 2)
    assertEq [| 4; 16; 64 |] (f.Best |> Array.map fst)

    assertEq
        [ ScalingFit.Bound.AtLeast; ScalingFit.Bound.AtLeast ]
        (f.Rows |> Array.filter (fun r -> r.Batch >= 256) |> Array.map (fun r -> r.Bound) |> List.ofArray)

    StringAssert.Contains("at batch size 256, 1024 the best learning rate is the largest run, so the optimum is at or above it", ScalingFit.verdict f)
    StringAssert.Contains("lr: {bracket: ...}", ScalingFit.verdict f)
    // the rule verdict (k = 0.5 by construction) speaks only for the bracketed batch sizes
    Assert.That(
        ScalingFit.verdict f,
        Does.StartWith("Consistent with the square-root rule (k = 0.5), not the linear rule (over batch sizes 4 to 64, where the grid brackets the optimum).")
    )
    // every row at the edge: not measured
    let edge = cells |> Array.map (fun c -> { c with Values = c.Values |> Array.map (fun _ -> log10 c.Lr + 5.0) })
    let e = (ScalingFit.fit edge 1UL).Value
    Assert.That(ScalingFit.measured e, Is.False)
    StringAssert.Contains("No verdict", ScalingFit.verdict e)

[<Test>]
let ``the best point searched and the vertex are both kept: the vertex leans away from a cliff`` () =
    // lr 1e-2 collapsed (a cliff): the vertex moves below the best cell, as in S1's Adam at batch 8
    let cells =
        [|
            for b in [ 8; 16 ] do
                for lr, v in [ 1e-4, 0.96; 1e-3, 0.97; 1e-2, 0.66 ] ->
                    {
                        ScalingFit.Cell.Batch = b
                        ScalingFit.Cell.Lr = lr
                        ScalingFit.Cell.Values = [| v |]
                        ScalingFit.Cell.Seeds = [| 1 |]
                        ScalingFit.Cell.Noise = 0.002
                    }
        |]

    let f = (ScalingFit.fit cells 1UL).Value
    let r = f.Rows[0]
    Assert.That(r.BestLr, Is.EqualTo 1e-3)
    Assert.That(r.Vertex, Is.LessThan r.BestLr)
    Assert.That(abs (log (r.Vertex / r.BestLr)), Is.GreaterThan(log r.HalfStep / 2.0), "more than a quarter of a grid step below the best point")
    // a parabola whose middle point is highest has its vertex within half a step of it
    Assert.That(abs (log (r.Vertex / r.BestLr)), Is.LessThanOrEqualTo(log r.HalfStep + 1e-12))

[<Test>]
let ``a proportion's standard error is never 0, at 0 and 1 as anywhere`` () =
    for p in [ 0.0; 1.0; 0.5; 0.1 ] do
        Assert.That(Statistics.proportionError p 10000, Is.GreaterThan 0.0, $"{p}")

    Assert.That(Statistics.proportionError 1.0 10000, Is.LessThan 3e-4)
    Assert.That(Statistics.proportionError 0.5 10000, Is.EqualTo(0.005).Within(1e-5))
    // the search takes its noise from the same helper
    Assert.That((Lrbs.Core.Planning.LrBracket.outcomeOf true "accuracy" (Some 1.0) 10000 nan).Noise, Is.EqualTo(Statistics.proportionError 1.0 10000))

[<Test>]
let ``Holm's adjustment holds a family of six tests to 5 percent: six p-values of 0.03 to 0.9 reject nothing, one tiny one still rejects`` () =
    let ps = [| 0.03; 0.04; 0.2; 0.5; 0.6; 0.9 |]
    let adjusted = Statistics.holm ps
    Assert.That(adjusted |> Array.forall (fun p -> p >= 0.05), Is.True, $"%A{adjusted}")
    Assert.That(adjusted[0], Is.EqualTo(0.18).Within 1e-12)
    Assert.That((Statistics.holm [| 0.001; 0.5; 0.6 |])[0], Is.EqualTo(0.003).Within 1e-12)
    // adjusted values keep the order of the raw ones
    let a = Statistics.holm [| 0.01; 0.04; 0.03 |]
    Assert.That(a[0] <= a[2] && a[2] <= a[1], Is.True, $"%A{a}")

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
        let values =
            ks
            |> List.map (fun k -> float (k * n / 1000) / float n)
            |> List.map (fun v -> { Fractions.Value = System.Math.Round(v, 4); Fractions.Decimals = 4 })
            |> Array.ofList

        match Fractions.smallestDenominator 9999 values with
        | Some m -> (m <= n && values |> Array.forall (Fractions.fits m)) |> Prop.label $"found {m} for {n}"
        | None -> false |> Prop.label "none")

[<Test>]
let ``the study's published S2 style values reveal 6,000 and 568`` () =
    let printed (decimals: int) (n: int) ks =
        ks
        |> Array.map (fun k -> { Fractions.Value = System.Math.Round(float k / float n, decimals); Fractions.Decimals = decimals })
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
    Gen.listOf (Gen.choose (1, 100000))
    |> Gen.map (List.distinct >> List.sort >> List.truncate 8 >> List.map (fun k -> float k / 100.0) >> Array.ofList)
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
    { Batch = batch; Lr = lr; Seed = 1; Final = final; Epochs = Array.ofList epochs }

let private seeded seed (r: StepsToTarget.Run) = { r with Seed = seed }

/// A run reaching metric 1 after `steps` updates (one epoch per 100 updates, climbing to it).
let private reaching batch lr steps = run batch lr 1.0 [ for k in 1 .. steps / 100 -> 100, float k / float (steps / 100) ]

[<Test>]
let ``a cell's steps are the median over its seeds when every seed reaches the target, and censored when one does not`` () =
    let never = run 8 0.1 0.5 [ 100, 0.2; 100, 0.5 ]
    let all = [| reaching 8 0.1 200; reaching 8 0.1 300 |> seeded 2; reaching 8 0.1 400 |> seeded 3 |]
    let t = StepsToTarget.fewestSteps 0.9 all

    assertEq
        [|
            {
                StepsToTarget.Fewest.Batch = 8
                StepsToTarget.Fewest.Lr = 0.1
                StepsToTarget.Fewest.Steps = 300.0
                StepsToTarget.Fewest.Exact = true
            }
        |]
        t.Found
    // one seed of four never reaches it: the cell is censored, named, and not dropped in silence
    let three = Array.append all [| never |> seeded 4 |]
    assertEq [| 8 |] (StepsToTarget.fewestSteps 0.9 three).Missing
    assertEq [| ({ Batch = 8; Lr = 0.1; Reached = 3; Seeds = 4 }: StepsToTarget.CensoredCell) |] (StepsToTarget.censoredCells 0.9 three)
    // pick chooses the seeds a cell is measured on
    assertEq 200.0 (StepsToTarget.stepsToGoal 0.9 (fun c -> [| c[0] |]) three).Found[0].Steps

[<Test>]
let ``a target met at the first evaluation is only a bound, never a measurement`` () =
    // batch 64 and 256 reach it in their first epoch: (0, S] is all the evaluations say
    let runs = [| reaching 4 0.1 800; reaching 16 0.1 400; run 64 0.1 1.0 [ 150, 0.95 ]; run 256 0.1 1.0 [ 40, 0.97 ] |]
    let t = StepsToTarget.fewestSteps 0.9 runs
    assertEq [| 4, true; 16, true; 64, false; 256, false |] (t.Found |> Array.map (fun f -> f.Batch, f.Exact))
    assertEq (StepsToTarget.Reach.First 150) (StepsToTarget.reach 0.9 runs[2])
    assertEq (StepsToTarget.Reach.Between(300, 400)) (StepsToTarget.reach 0.9 runs[1])
    // the fit sees only the measured points: two, so no B_crit (a bound would have pulled it)
    Assert.That(CriticalBatchInterval.fit 0.9 runs, Is.EqualTo None)

[<Test>]
let ``a batch size's steps are the fewest over its learning rates, batch sizes ascending`` () =
    let runs =
        [| reaching 16 0.1 900; reaching 16 0.2 500; reaching 16 0.4 700; reaching 4 0.1 1200; run 32 0.1 0.3 [ 100, 0.3 ] |]

    let t = StepsToTarget.fewestSteps 0.99 runs
    assertEq [| 4, 0.1, 1200.0; 16, 0.2, 500.0 |] (t.Found |> Array.map (fun f -> f.Batch, f.Lr, f.Steps))
    assertEq [| 32 |] t.Missing
    assertEq 250.0 (StepsToTarget.perfectScaling t.Found[1] 32.0)

[<Test>]
let ``the default target is the highest value every seed of some learning rate reaches at every batch size`` () =
    let runs =
        [|
            run 4 0.1 0.9 [ 100, 0.5 ]
            run 4 0.2 0.8 [ 100, 0.6 ] // one seed each: best cell's worst seed 0.9
            run 8 0.1 0.8 [ 50, 0.4 ]
            run 8 0.1 0.9 [ 50, 0.4 ] |> seeded 2 // one cell, seeds 0.8 and 0.9: its worst 0.8
            run 16 0.1 0.1 [ 25, 0.1 ]
            run 16 0.2 0.1 [ 25, 0.2 ]
        |] // never improved on its first epoch

    let g = StepsToTarget.goal None nan runs
    Assert.That(g.Target, Is.EqualTo(0.8).Within(1e-12), "the mean (0.85) would leave one seed at batch 8 short of it")
    assertEq [| 16 |] g.Idle
    Assert.That(g.AtChance, Is.False)

    assertEq
        { StepsToTarget.Goal.Target = 0.7; StepsToTarget.Goal.Idle = [| 16 |]; StepsToTarget.Goal.AtChance = false }
        (StepsToTarget.goal (Some 0.7) nan runs)
    // no row learned: no default target
    Assert.That((StepsToTarget.goal None nan runs[4..]).Target, Is.NaN)
    // a target at or below chance is flagged
    Assert.That((StepsToTarget.goal None 0.85 runs).AtChance, Is.True)

[<Test>]
let ``with the target rule every batch size's best learning rate reaches the target with every seed`` () =
    // s2-fashion-pools' SGD at batch 256: a mean of 0.8135 set the target, one seed of three reached it
    let runs =
        [|
            for seed, final in [ 1, 0.80; 2, 0.81; 3, 0.83 ] -> run 256 0.01 final [ 40, 0.5; 40, final ] |> seeded seed
            for seed in 1..3 -> run 16 0.01 0.86 [ 600, 0.7; 600, 0.86 ] |> seeded seed
        |]

    let g = StepsToTarget.goal None nan runs
    Assert.That(g.Target, Is.EqualTo 0.80)
    let t = StepsToTarget.fewestSteps g.Target runs
    assertEq [||] t.Missing
    assertEq [| 16; 256 |] (t.Found |> Array.map (fun f -> f.Batch))

/// Runs over batch sizes 4, 8, 16 and two learning rates with `repeats` seeds each; every epoch
/// has 10 to 200 steps and a metric in [0, 1); with `reach`, the last epoch's metric is 1.
let private randomGrid repeats reach =
    let epochs = Gen.listOfLength 6 (Gen.zip (Gen.choose (10, 200)) (Gen.map (fun k -> float k / 1000.0) (Gen.choose (0, 999))))

    let cells =
        [
            for b in [ 4; 8; 16 ] do
                for lr in [ 0.01; 0.1 ] do
                    for seed in 1..repeats -> b, lr, seed
        ]

    cells
    |> List.map (fun (b, lr, seed) -> epochs |> Gen.map (fun e -> run b lr 1.0 (if reach then e @ [ 10, 1.0 ] else e) |> seeded seed))
    |> Gen.sequenceToList
    |> Gen.map Array.ofList

let private twoTargets =
    Gen.zip (Gen.choose (0, 1000)) (Gen.choose (0, 1000))
    |> Gen.map (fun (a, b) -> float (min a b) / 1000.0, float (max a b) / 1000.0)

let private monotone (low: StepsToTarget.Table) (high: StepsToTarget.Table) =
    high.Found |> Array.forall (fun h -> low.Found |> Array.exists (fun l -> l.Batch = h.Batch && l.Steps <= h.Steps))

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``a higher target takes at least as many steps and is reached by no more batch sizes`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (Gen.oneof [ randomGrid 1 false; randomGrid 3 false ]) twoTargets)) (fun (runs, (t1, t2)) ->
        let low, high = StepsToTarget.fewestSteps t1 runs, StepsToTarget.fewestSteps t2 runs
        monotone low high |> Prop.label $"{t1}: %A{low}; {t2}: %A{high}")

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``when every seed reaches both targets every batch size has steps, monotone in the target`` () =
    Prop.forAll (Arb.fromGen (Gen.zip (randomGrid 3 true) twoTargets)) (fun (runs, (t1, t2)) ->
        let low, high = StepsToTarget.fewestSteps t1 runs, StepsToTarget.fewestSteps t2 runs
        (high.Found.Length = 3 && monotone low high) |> Prop.label $"{t1}: %A{low}; {t2}: %A{high}")

// ---- B_crit's bootstrap, the noise scale by loss, power laws

/// Runs that reach the target in exactly S(B) = 100 (1 + 64/B) steps (in their second evaluation,
/// one step after the first: measured to the step, not bounded), `seeds` per batch size.
let private pareto seeds =
    [|
        for b in [ 8; 16; 32; 64; 128; 256 ] do
            for seed in 1..seeds ->
                let s = 100 * (b + 64) / b
                run b 0.1 1.0 [ s - 1, 0.0; 1, 1.0 ] |> seeded seed
    |]

[<Test>]
let ``B_crit's bootstrap of points on the Pareto curve is the curve's B_crit, over seeds when there are several`` () =
    for seeds, over in [ 1, false; 2, true ] do
        let runs = pareto seeds
        let bc = (CriticalBatchInterval.fit 1.0 runs).Value.BCrit
        // each seed is read half a step early (the middle of its one-step evaluation interval)
        Assert.That(bc, Is.EqualTo(64.0).Within(0.5))

        match CriticalBatchInterval.bootstrap 1.0 runs with
        | Some { Low = Some low; High = Some high; OverSeeds = o } ->
            assertEq over o
            // the steps are known to the step: the interval is the curve's B_crit within that resolution
            Assert.That(low, Is.LessThanOrEqualTo(bc * 1.005))
            Assert.That(high, Is.GreaterThanOrEqualTo(bc * 0.995))
            Assert.That(high - low, Is.LessThan 0.5)
        | other -> Assert.Fail $"expected a bounded interval, got %A{other}"
    // two batch sizes give no fit and so no interval
    let two = pareto 1 |> Array.filter (fun r -> r.Batch <= 16)
    Assert.That(CriticalBatchInterval.bootstrap 1.0 two, Is.EqualTo None)

[<Test>]
let ``B_crit's bootstrap over seeds spreads with the seeds' steps`` () =
    let noisy =
        [|
            for r in pareto 1 do
                yield r
                let s = r.Epochs |> Array.sumBy fst
                // the second seed is slower the larger the batch: the curve's shape, so B_crit, moves
                let slow = int (float s * (1.0 + float r.Batch / 128.0))
                yield { r with Seed = 2; Epochs = [| slow - 1, 0.0; 1, 1.0 |] }
        |]

    match CriticalBatchInterval.bootstrap 1.0 noisy with
    | Some { Low = Some low; High = Some high } -> Assert.That(high - low, Is.GreaterThan 1.0)
    | other -> Assert.Fail $"expected an interval, got %A{other}"

    Assert.That(CriticalBatchInterval.overSeeds (pareto 1), Is.False)

[<Test>]
let ``B_crit's interval holds the resolution of the evaluations: coarse evaluations widen it`` () =
    // the same Pareto steps, met in an evaluation interval of the whole second half of training
    let coarse =
        pareto 2
        |> Array.map (fun r -> let s = r.Epochs |> Array.sumBy fst in { r with Epochs = [| s / 2, 0.0; s - s / 2, 1.0 |] })

    let width (runs: StepsToTarget.Run[]) =
        match CriticalBatchInterval.bootstrap 1.0 runs with
        | Some { Low = Some low; High = Some high } -> high - low
        | other -> failwith $"%A{other}"

    Assert.That(width coarse, Is.GreaterThan(10.0 * width (pareto 2) + 1.0))

/// Runs evaluated once an epoch of `examples` examples that meet metric 1 at S(B) = 100 (1 + 64/B)
/// steps times a seed's factor: the evaluation interval is wide against the steps at large
/// batches and narrow at small ones, as in a real grid.
let private epochly examples (factors: float list) =
    [|
        for b in [ 8; 16; 32; 64; 128; 256 ] do
            for seed, f in List.indexed factors ->
                let epoch = examples / b
                let s = 100.0 * (1.0 + 64.0 / float b) * f
                let epochs = int (ceil (s / float epoch))
                run b 0.1 1.0 [ for k in 1..epochs -> epoch, (if k = epochs then 1.0 else 0.0) ] |> seeded (seed + 1)
    |]

[<Test>]
let ``B_crit's point estimate lies inside its own interval when evaluations are coarse at large batches`` () =
    for examples in [ 1280; 2560; 5120 ] do
        let runs = epochly examples [ 0.96; 1.0; 1.05 ]
        let bc = (CriticalBatchInterval.fit 1.0 runs).Value.BCrit

        match CriticalBatchInterval.bootstrap 1.0 runs with
        | Some { Low = Some low; High = Some high } ->
            Assert.That(bc, Is.InRange(low, high), $"epochs of {examples} examples: B_crit {bc} against [{low}, {high}]")
        | other -> Assert.Fail $"expected a bounded interval, got %A{other}"

[<Test>]
let ``an interval the data do not bound above says so instead of printing the search's bound`` () =
    // steps fall in proportion at every batch size measured (perfect scaling): B_crit lies beyond them
    let runs =
        [|
            for b in [ 8; 16; 32; 64; 128 ] do
                for seed in 1..3 ->
                    let s = int (64000.0 / float b * (1.0 + 0.04 * float (seed - 2)))
                    run b 0.1 1.0 [ s - 1, 0.0; 1, 1.0 ] |> seeded seed
        |]

    match CriticalBatchInterval.bootstrap 1.0 runs with
    | Some i ->
        Assert.That(i.High, Is.EqualTo None, $"%A{i}")
        StringAssert.Contains("not bounded above by the data", Lrbs.Host.Report.CriticalBatchSection.IntervalText(i, 128))
    | None -> Assert.Fail "no interval"
    // one seed whose steps stop falling only at the largest batch size: the fit is bounded, but a
    // resample without that batch size searches a range a thousand times its own largest (64000,
    // not 128000) and runs into it; that is unbounded too, not an upper end of "64000"
    let saturating =
        [|
            for b in [ 8; 16; 32; 64; 128 ] ->
                let s = if b = 128 then 1000 else 64000 / b
                run b 0.1 1.0 [ s - 1, 0.0; 1, 1.0 ]
        |]

    Assert.That((CriticalBatchInterval.fit 1.0 saturating).Value.BCrit, Is.LessThan 1000.0)

    match CriticalBatchInterval.bootstrap 1.0 saturating with
    | Some i -> Assert.That(i.High, Is.EqualTo None, $"%A{i}")
    | None -> Assert.Fail "no interval"

[<Test>]
let ``B_simple in a loss bin is the ratio of the mean estimates, bins with one trial or no positive ratio dropped`` () =
    let s trial loss g2 tr : NoiseByLoss.Sample = { Trial = trial; TrainLoss = loss; G2 = g2; Trace = tr }

    let bins =
        NoiseByLoss.bins
            [|
                s "a" 0.45 1.0 10.0
                s "b" 0.46 3.0 10.0 // one bin, two trials: 10 / 2 = 5 (the mean ratio would be 6.67)
                s "a" 2.0 1.0 10.0
                s "b" 2.05 -3.0 1.0 // mean |G|² below 0: dropped
                s "a" 0.05 1.0 1.0 // one trial: dropped
                s "a" 0.0 1.0 1.0
                s "b" 0.0 1.0 1.0
            |] // no positive loss

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
        | Some l ->
            (abs (l.Slope - float k / 10.0) < 1e-9 && Array.forall2 (fun x y -> abs (l.At x / y - 1.0) < 1e-9) xs ys)
            |> Prop.label $"%A{l}"
        | None -> false |> Prop.label "no fit")

[<Test>]
let ``log-spaced points run from lo to hi with a constant ratio`` () =
    let p = PowerLaw.logSpaced 8.0 512.0 4
    close [| 8.0; 32.0; 128.0; 512.0 |] p
    Assert.That(PowerLaw.fit [| 4.0; 4.0 |] [| 1.0; 2.0 |], Is.EqualTo None)

// ---- the shape of lr*(B): local slopes, the surge form beside the power law (OptimumShape) ----

let private fitOf (best: (int * float)[]) : ScalingFit.Fit =
    {
        K = (Statistics.linearFit (best |> Array.map (fst >> float >> log)) (best |> Array.map (snd >> log))).Value |> snd
        Interval = None
        Coverage = ScalingFit.Coverage.None "test"
        Best = best
        Method = "test"
        AtEdge = 0
        Replicates = [||]
        Rows =
            best
            |> Array.map (fun (b, lr) ->
                {
                    ScalingFit.Row.Batch = b
                    ScalingFit.Row.BestLr = lr
                    ScalingFit.Row.BestMean = 1.0
                    ScalingFit.Row.Vertex = lr
                    ScalingFit.Row.Bound = ScalingFit.Bound.Interior
                    ScalingFit.Row.HalfStep = 1.5
                })
    }

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
let ``the comparison needs 5 batch sizes`` () = Assert.That(OptimumShape.compare (fitOf [| 4, 1e-3; 8, 2e-3; 16, 3e-3; 32, 3.5e-3 |]), Is.EqualTo None)

[<Test>]
let ``the fit's replicates give each local slope an interval that holds the slope`` () =
    let cells = grid 0.5 1e-3 [| 4; 16; 64; 256; 1024 |] 0.01 5 3UL
    let f = (ScalingFit.fit cells 5UL).Value
    Assert.That(f.Replicates.Length, Is.EqualTo 1000)

    for s in OptimumShape.localSlopes f do
        let i = s.Interval.Value
        Assert.That(s.Slope, Is.InRange(i.Low, i.High), $"{s.From} to {s.To}")

[<Test>]
let ``local slopes are tested against k as a family: a power law with noise departs nowhere, a kink departs where it is`` () =
    // a power law whose vertices carry independent noise in every replicate: no slope departs
    let best = [| 4, 1e-3; 8, 2e-3; 16, 4e-3; 32, 8e-3; 64, 1.6e-2; 128, 3.2e-2; 256, 6.4e-2 |]
    let rng = Rng(5UL)
    let replicates = Array.init 1000 (fun _ -> best |> Array.map (fun (b, lr) -> b, lr * exp (0.1 * Statistics.normal rng)))
    let slopes = OptimumShape.localSlopes { fitOf best with Replicates = replicates }
    Assert.That(slopes.Length, Is.EqualTo 6)
    Assert.That(slopes |> Array.exists (fun s -> s.Departs), Is.False, sprintf "%A" (slopes |> Array.map (fun s -> s.P)))
    Assert.That(slopes |> Array.forall (fun s -> s.P >= 0.0 && s.P <= 1.0), Is.True)
    // a slope far off k still departs
    let kinked = [| 4, 1e-3; 8, 2e-3; 16, 4e-3; 32, 8e-3; 64, 8e-3; 128, 1.6e-2; 256, 3.2e-2 |]
    let tight = Array.init 1000 (fun _ -> kinked |> Array.map (fun (b, lr) -> b, lr * exp (0.01 * Statistics.normal rng)))
    let k = OptimumShape.localSlopes { fitOf kinked with Replicates = tight }
    Assert.That(k |> Array.filter (fun s -> s.Departs) |> Array.map (fun s -> s.From), Does.Contain 32)

[<Test>]
let ``a surge fitted to a rising power law says it has no peak near the batch sizes instead of quoting the search's edge`` () =
    let best = [| 4; 8; 16; 32; 64; 128 |] |> Array.map (fun b -> b, 1e-3 * sqrt (float b))
    let s = (OptimumShape.fitSurge (fitOf best)).Value
    Assert.That(s.AtSearchEdge, Is.True)
    StringAssert.Contains("has no peak near the batch sizes run", (OptimumShape.compare (fitOf best)).Value.Sentence)
