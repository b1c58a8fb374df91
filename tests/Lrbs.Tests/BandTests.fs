/// The near-optimal band, each rule's breaking batch size and the noise-scale collapse
/// (Analysis/OptimumBand.fs) on constructed grids with a known answer.
module Lrbs.Tests.BandTests

open System
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Core.Analysis
open Lrbs.Core.Analysis.OptimumBand
open Lrbs.Tests.Support

/// A row over lr = 1e-4 * 2^j (j = 0..n-1) scoring 0.9 - c |ln lr - ln lr*|, a tent whose tip
/// is the grid point j*: linear in log lr, so reading it linearly is exact.
let private tent (n: int) (tip: int) (c: float) =
    let lr j = 1e-4 * Math.Pow(2.0, float j)
    [| for j in 0 .. n - 1 -> lr j, 0.9 - c * abs (log (lr j) - log (lr tip)) |], lr tip

[<FsCheck.NUnit.Property(MaxTest = 300)>]
let ``a tent-shaped row gives the band its slopes and the tolerance set, open where the grid ends`` () =
    let g =
        gen {
            let! n = Gen.choose (2, 9)
            let! tip = Gen.choose (0, n - 1)
            let! c = Gen.elements [ 0.01; 0.05; 0.2 ]
            let! tol = Gen.elements [ 0.001; 0.01; 0.05 ]
            return n, tip, c, tol
        }

    Prop.forAll (Arb.fromGen g) (fun (n, tip, c, tol) ->
        let row, best = tent n tip c
        let b = (ofRow 64 row tol).Value
        // the true ends: where the tent falls by tol, ln lr* -+ tol / c, unless the grid ends first
        let lowTrue, highTrue = best * exp (-tol / c), best * exp (tol / c)
        let first, last = fst row[0], fst row[n - 1]
        let lowOk = if lowTrue < first then b.LowOpen && b.Low = first else (not b.LowOpen) && abs (log b.Low - log lowTrue) < 1e-9

        let highOk =
            if highTrue > last then b.HighOpen && b.High = last else (not b.HighOpen) && abs (log b.High - log highTrue) < 1e-9

        (lowOk && highOk && b.BestLr = best)
        |> Prop.label $"band {b.Low}..{b.High} open {b.LowOpen}/{b.HighOpen}, true {lowTrue}..{highTrue}")

[<Test>]
let ``within the noise: the tolerance is the best cell's standard error over its seeds`` () =
    // three seeds 0.80, 0.82, 0.84 at the best lr: standard error 0.02 / sqrt 3
    let cell lr (values: float[]) : ScalingFit.Cell = { Batch = 32; Lr = lr; Values = values; Seeds = [| 1; 2; 3 |]; Noise = nan }
    let cells = [| cell 0.001 [| 0.70; 0.70; 0.70 |]; cell 0.01 [| 0.80; 0.82; 0.84 |]; cell 0.1 [| 0.70; 0.70; 0.70 |] |]
    let b = (bands Tolerance.Noise cells).[0]
    Assert.That(b.BestScore - b.Threshold, Is.EqualTo(0.02 / sqrt 3.0).Within(1e-12))
    let r = (bands (Tolerance.Relative 0.5) cells).[0]
    Assert.That(r.LowOpen && r.HighOpen, Is.True, "half the best score: every point is within, the band runs to the grid's ends")
    Assert.That(check (Tolerance.Relative 0.0) |> Result.isError, Is.True)
    Assert.That(check (Tolerance.Relative -0.1) |> Result.isError, Is.True)

/// Bands centred on lr*(B) = 0.01 (B/16)^k, each a factor w either side, at B = 16 .. 2048.
let private bandsAlong (k: float) (w: float) =
    [|
        for j in 0..7 ->
            let b = 16 <<< j
            let centre = 0.01 * Math.Pow(float b / 16.0, k)

            {
                Batch = b
                BestLr = centre
                BestScore = 0.9
                Threshold = 0.89
                Low = centre / w
                High = centre * w
                LowOpen = false
                HighOpen = false
            }
    |]

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``a rule breaks at the first batch size where its line leaves a band of known width`` () =
    let g = Gen.zip3 (Gen.elements [ 0.0; 0.5; 1.0 ]) (Gen.elements [ 1.5; 2.0; 4.0 ]) (Gen.elements rules)

    Prop.forAll (Arb.fromGen g) (fun (k, w, rule) ->
        let bs = bandsAlong k w
        let br = (breaking bs 16 rule).Value
        // the rule's lr over the true optimum is (B/16)^(e - k): it leaves when that exceeds w
        let expected =
            bs
            |> Array.tryFind (fun b -> b.Batch > 16 && abs (rule.Exponent - k) * log (float b.Batch / 16.0) > log w + 1e-12)
            |> Option.map (fun b -> b.Batch)

        (br.Up = expected && br.Down = None) |> Prop.label $"k {k} w {w} {rule.Name}: up {br.Up}, expected {expected}")

[<Test>]
let ``the width slope reads a band that narrows by a known amount per decade of batch size`` () =
    let bs =
        [|
            for b in [ 16; 64; 256; 1024 ] ->
                let decades = 2.0 - 0.5 * log10 (float b)

                {
                    Batch = b
                    BestLr = 0.01
                    BestScore = 0.9
                    Threshold = 0.89
                    Low = 0.01 / Math.Pow(10.0, decades / 2.0)
                    High = 0.01 * Math.Pow(10.0, decades / 2.0)
                    LowOpen = false
                    HighOpen = false
                }
        |]

    Assert.That((widthSlope bs).Value, Is.EqualTo(-0.5).Within(1e-9))
    Assert.That(widthSlope bs[..1], Is.EqualTo None, "two batch sizes are too few for a slope")

let private fitOf (best: (int * float)[]) : ScalingFit.Fit =
    {
        K = nan
        Interval = None
        Coverage = ScalingFit.Coverage.None "constructed"
        Rows = [||]
        Best = best
        Method = ""
        AtEdge = 0
        Replicates = [||]
    }

[<Test>]
let ``the noise scale collapses a linear optimum exactly and leaves half the spread of a square-root one`` () =
    let linear = fitOf [| for b in [ 16; 128; 1024 ] -> b, 0.001 * float b |]
    let c = (collapse linear 60000 0.9).Value
    Assert.That(c.SpreadG, Is.EqualTo(0.0).Within(1e-12))
    Assert.That(c.SpreadLr, Is.EqualTo(log10 64.0).Within(1e-12))
    let root = fitOf [| for b in [ 16; 128; 1024 ] -> b, 0.001 * sqrt (float b) |]
    let r = (collapse root 60000 0.0).Value
    Assert.That(r.SpreadG, Is.EqualTo(0.5 * log10 64.0).Within(1e-12))
    Assert.That(noiseScale 0.1 50000 100 0.9, Is.EqualTo(0.1 * 50000.0 / (100.0 * 0.1)).Within(1e-9))

/// Pools whose bracketed optima follow lr* = 0.01 B^k (D/1000)^d and B_crit = 5 D^e exactly.
let private pools (k: float) (d: float) (e: float) : DataScaling.Pool[] =
    [|
        for rows in [ 3500; 7000; 14000; 28000; 56000 ] ->
            let best = [| for b in [ 8; 32; 128; 512 ] -> b, 0.01 * Math.Pow(float b, k) * Math.Pow(float rows / 1000.0, d) |]
            let bcrit = 5.0 * Math.Pow(float rows, e)

            {
                Rows = rows
                Best = best
                BestReplicates = Array.init 50 (fun _ -> best)
                BCrit = Some bcrit
                BCritOutside = None
                BCritReplicates = Array.init 50 (fun _ -> bcrit)
            }
    |]

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``power laws in B and D built into the pools are the exponents fitted`` () =
    let g = Gen.zip3 (Gen.elements [ 0.0; 0.5; 1.0 ]) (Gen.elements [ -0.5; -0.2; 0.0; 0.3 ]) (Gen.elements [ 0.0; 0.4; 1.0 ])

    Prop.forAll (Arb.fromGen g) (fun (k, d, e) ->
        let ps = pools k d e
        let surface = (DataScaling.lrSurface ps).Value
        let kFit, dFit = surface.K, surface.D
        let eFit = (DataScaling.criticalBatch ps).Value

        (abs (kFit.Value - k) < 1e-9 && abs (dFit.Value - d) < 1e-9 && abs (eFit.Value - e) < 1e-9 && eFit.Points = 5)
        |> Prop.label $"k {kFit.Value} d {dFit.Value} e {eFit.Value}")

/// One seed per batch size of 8 to 512 whose test metric crosses 0.5 at step `steps b`, evaluated
/// after every step.
let private stepRuns (steps: int -> int) : StepsToTarget.Run[] =
    [|
        for b in [ 8; 32; 128; 512 ] ->
            {
                Batch = b
                Lr = 0.01
                Seed = 1
                Final = 1.0
                Epochs = Array.init (steps b + 5) (fun i -> 1, (if i + 1 >= steps b then 1.0 else 0.0))
            }
    |]

[<Test>]
let ``a pool's B_crit counts only where its grid locates it: below or above the batch sizes run it is a bound`` () =
    // S(B) = 100 (1 + 64 / B): B_crit 64, inside 8 to 512
    let inside = DataScaling.poolOf 5000 [||] [||] (Some 0.5) (stepRuns (fun b -> int (round (100.0 * (1.0 + 64.0 / float b)))))
    Assert.That(inside.BCrit.Value, Is.EqualTo(64.0).Within(5).Percent)
    Assert.That(inside.BCritOutside, Is.EqualTo None)
    // the same steps at every batch size: larger batches never paid, the fit puts B_crit far below 8
    let below = DataScaling.poolOf 5000 [||] [||] (Some 0.5) (stepRuns (fun _ -> 300))
    Assert.That(below.BCrit, Is.EqualTo None)
    Assert.That(below.BCritOutside.Value, Is.LessThan 8.0)
    // steps in exact proportion to 1 / B: every doubling paid in full, B_crit beyond 512
    let above = DataScaling.poolOf 5000 [||] [||] (Some 0.5) (stepRuns (fun b -> 51200 / b))
    Assert.That(above.BCrit, Is.EqualTo None)
    Assert.That(above.BCritOutside.Value, Is.GreaterThan 512.0)
    // B_crit(D) reads only the located pools: one located pool fits nothing
    Assert.That(DataScaling.criticalBatch [| inside; below; above |], Is.EqualTo None)

[<Test>]
let ``one pool fits no data exponent, and a design with no spread in B is singular`` () =
    let ps = pools 0.5 -0.2 0.4
    Assert.That(DataScaling.lrSurface ps[..0], Is.EqualTo None)
    Assert.That(DataScaling.criticalBatch ps[..0], Is.EqualTo None)
    Assert.That(DataScaling.regress2 [| 1.0; 1.0; 1.0 |] [| 1.0; 2.0; 3.0 |] [| 1.0; 2.0; 3.0 |], Is.EqualTo None)

/// The points of a report figure's SVG: vega writes each mark's fields into its aria-label.
let private marks (svg: string) =
    Text.RegularExpressions.Regex.Matches(IO.File.ReadAllText svg, "aria-label=\"[^\"]*; batch: (\\d+); lr: ([^;]+); g: ([^;]+); metric: ([^\"]+)\"")
    |> Seq.map (fun m -> int m.Groups[1].Value, float m.Groups[2].Value, float (m.Groups[3].Value.Replace(",", "")), float m.Groups[4].Value)
    |> List.ofSeq

/// s2-bracketed's report, written once for the two tests that read it (each write takes most
/// of a minute), into the test run's temporary cache folder, which goes when the run ends.
let private bracketed =
    let results = IO.Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "results", "s2-bracketed")

    lazy
        (let out = IO.Path.Combine(Environment.GetEnvironmentVariable "LRBS_CACHE", "s2-bracketed-report")
         let code, _, err = CliTests.run [ "report"; results; "--out"; out ]
         Assert.That(code, Is.EqualTo 0, err)
         results, out)

[<Test>]
let ``the committed SGD study's report draws every finished trial at g = lr N / B, and Adam gets no such figure`` () =
    let results, out = bracketed.Force()
    let figures = IO.Directory.GetFiles(IO.Path.Combine(out, "figures"), "*-noise-scale.svg")
    Assert.That(figures.Length, Is.EqualTo 1, "one noise-scale figure: the SGD group's, none for Adam")
    let drawn = marks figures.[0]

    let finished =
        Lrbs.Host.Storage.ResultsReader.Query(
            results,
            "SELECT count(*), any_value(train_rows) FROM trials WHERE optimizer LIKE 'sgd%' AND status IN ('ok', 'stopped_early') AND test_metric IS NOT NULL"
        )

    let count, rows = int finished.Rows[0].[0], float finished.Rows[0].[1]
    Assert.That(drawn.Length, Is.EqualTo count, "every finished SGD trial is a point")

    for b, lr, g, _ in drawn do
        // vega prints g to 3 significant figures
        Assert.That(g, Is.EqualTo(lr * rows / float b).Within(1.0).Percent, $"B={b} lr={lr}")

    Assert.That(drawn |> List.map (fun (b, _, _, _) -> b) |> List.distinct |> List.length, Is.GreaterThanOrEqualTo 5)

[<Test>]
let ``the rules table gives each base's breaking batch sizes, the text's base agrees with it, and the figure draws each rule`` () =
    let _, out = bracketed.Force()
    let summary = IO.File.ReadAllText(IO.Path.Combine(out, "summary.md"))
    let rules = [ "keep lr"; "square-root"; "linear" ]
    // one table per group (Adam and SGD): a row per rule, a column per batch size with a band
    let tables = Text.RegularExpressions.Regex.Matches(summary, @"\| rule \\ base B0 \|([^\n]*)\n\|[-|]+\n((?:\|[^\n]*\n)+)")
    Assert.That(tables.Count, Is.EqualTo 2)

    for t in tables do
        let bases = t.Groups[1].Value.Split('|', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)

        let rows =
            t.Groups[2].Value.Trim().Split('\n')
            |> Array.map (fun r -> r.Split('|', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries))

        Assert.That((rows |> Array.map (fun r -> r[0]) |> List.ofArray) = rules, "a row per rule, in order")
        Assert.That(rows |> Array.forall (fun r -> r.Length = bases.Length + 1))
        // the sentence before the table starts each rule at the smallest base: its upward break is the first column's
        let sentence = summary.Substring(0, t.Index).Split("Started at B = ") |> Array.last

        for row in rows do
            let said =
                Text.RegularExpressions.Regex.Match(sentence, $"{row[0]}: upward (leaves it at B = (\\d+)|stays inside up to B = (\\d+))")

            Assert.That(said.Success, $"{row[0]} in: {sentence}")
            let cell = if said.Groups[2].Success then $"↑ {said.Groups[2].Value}" else $"↑ holds to {said.Groups[3].Value}"
            Assert.That(row[1], Is.EqualTo cell, row[0])

    let optimum = IO.Directory.GetFiles(IO.Path.Combine(out, "figures"), "*-optimum.svg")
    Assert.That(optimum.Length, Is.EqualTo 2)

    for f in optimum do
        let svg = IO.File.ReadAllText f

        for r in rules do
            Assert.That(svg, Does.Contain $"{r} from B = ", f)

[<Test>]
let ``the critical batch verdict names the rule a group follows in words, never as an F# option`` () =
    // s2-fashion-pools' Adam group follows the square-root rule (k's interval holds 0.5, not 1)
    let results = IO.Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "results", "s2-fashion-pools")
    use tmp = new TempDir()
    let out = tmp.File "report"
    let code, _, err = CliTests.run [ "report"; results; "--out"; out ]
    Assert.That(code, Is.EqualTo 0, err)
    let summary = IO.File.ReadAllText(IO.Path.Combine(out, "summary.md"))
    Assert.That(summary, Does.Contain "so the square-root rule this group follows")
    Assert.That(summary, Does.Not.Contain "Some(")

[<Test>]
let ``the optimum figure's axis spans the band's ends beyond the bracketed vertices`` () =
    // S7's SGD group brackets its optimum at B = 4 to 64 only, and its band's low end is closed up
    // to B = 4,096: the axis must reach that far, or the line runs past the plot and the legend
    let results = IO.Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "results", "s7-boxes")
    use tmp = new TempDir()
    let out = tmp.File "report"
    let code, _, err = CliTests.run [ "report"; results; "--out"; out ]
    Assert.That(code, Is.EqualTo 0, err)

    let sgd =
        IO.Directory.GetFiles(IO.Path.Combine(out, "figures"), "*-optimum.svg")
        |> Array.map IO.File.ReadAllText
        |> Array.find (fun svg -> svg.Contains "cnn-box / sgd")

    Assert.That(sgd, Does.Contain ">4,096</text>", "the axis holds B = 4,096, where the band's low end is drawn")
