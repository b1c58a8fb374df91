/// How flat the optimum is, and where each scaling rule leaves it. DeepSeek LLM (Bi et al. 2024,
/// arXiv 2401.02954, §3.1) fits its scaling rules to "near-optimal" points rather than single
/// best runs, and Step Law (Li et al. 2025, arXiv 2503.04715) finds the learning-rate x
/// batch-size landscape "convex" with "a broad plateau"; S7's study claims "a variation of
/// learning rate is more significant for bigger batch size", a claim about this band's width.
///
/// Per batch size, the band is every learning rate whose mean score lies within a tolerance of
/// the best cell's: walking outward from the best measured learning rate, each end is where the
/// score first falls below (best - tolerance), read linearly in log lr between the two measured
/// points around that crossing (linear, so that a read score never lies outside the measured
/// ones). An end the grid's edge cuts (every point out to the edge stays within) is open: a bound.
/// The tolerance is, by default, the best cell's standard error (its seeds' spread over sqrt n,
/// never below the test rows' sampling error, as LrBracket.cell); or a stated fraction of it.
module Lrbs.Core.Analysis.OptimumBand

open System
open Lrbs.Core.Engine

/// How far below the best a learning rate may score and still count as near-optimal.
[<RequireQualifiedAccess>]
type Tolerance =
    /// Within the noise: the best cell's standard error.
    | Noise
    /// Within this fraction of the best score (0.01: 1%).
    | Relative of float

/// One batch size's band: its best measured learning rate and score, the threshold, and the
/// band's ends, each flagged open where the grid's edge cuts it.
type Band =
    {
        Batch: int
        BestLr: float
        BestScore: float
        Threshold: float
        Low: float
        High: float
        LowOpen: bool
        HighOpen: bool
    }

    /// The band's width in decades of learning rate (log10 High/Low): a lower bound if an end is open.
    member b.Decades = log10 (b.High / b.Low)
    member b.Closed = not b.LowOpen && not b.HighOpen
    member b.Contains(lr: float) = (b.LowOpen || lr >= b.Low * (1.0 - 1e-12)) && (b.HighOpen || lr <= b.High * (1.0 + 1e-12))

/// Checks a tolerance: a noise tolerance, or a relative one that is a positive finite fraction.
let check (t: Tolerance) =
    match t with
    | Tolerance.Relative f when not (f > 0.0 && Double.IsFinite f) -> Error $"tolerance: expected a positive fraction of the best score, got {f}"
    | _ -> Ok t

/// The band of one row of (lr, mean score) given the absolute tolerance `tol`. None for an
/// empty row or a tolerance that is not finite and positive.
let ofRow (batch: int) (row: (float * float)[]) (tol: float) : Band option =
    let row = row |> Array.filter (fun (lr, s) -> lr > 0.0 && Double.IsFinite s) |> Array.sortBy fst

    if row.Length = 0 || not (tol > 0.0 && Double.IsFinite tol) then
        None
    else
        let i = row |> Array.mapi (fun i (_, s) -> i, s) |> Array.maxBy snd |> fst
        let best = snd row[i]
        let t = best - tol
        // the crossing of the threshold between a point within (a) and the next one outward (b)
        let cross (a: float * float) (b: float * float) =
            let xa, ya, xb, yb = log (fst a), snd a, log (fst b), snd b
            exp (xa + (ya - t) / (ya - yb) * (xb - xa))

        let rec walk j step =
            let next = j + step

            if next < 0 || next >= row.Length then fst row[j], true
            elif snd row[next] < t then cross row[j] row[next], false
            else walk next step

        let low, lowOpen = walk i -1
        let high, highOpen = walk i 1

        Some
            {
                Batch = batch
                BestLr = fst row[i]
                BestScore = best
                Threshold = t
                Low = low
                High = high
                LowOpen = lowOpen
                HighOpen = highOpen
            }

/// A cell's mean and standard error over its seeds (LrBracket.cell's rule: the seeds' spread over
/// sqrt n, never below the cells' own sampling error; one seed: its own error).
let private meanAndError (c: ScalingFit.Cell) =
    let n = c.Values.Length
    let mean = Statistics.mean c.Values
    let sampling = if Double.IsFinite c.Noise then c.Noise / sqrt (float n) else nan

    let error =
        if n >= 2 then
            let spread = Statistics.std c.Values / sqrt (float n)
            if Double.IsFinite sampling then max spread sampling else spread
        else
            sampling

    mean, error

/// The absolute tolerance of a row from its best cell.
let private toleranceOf (t: Tolerance) (bestMean: float) (bestError: float) =
    match t with
    | Tolerance.Noise -> bestError
    | Tolerance.Relative f -> f * abs bestMean

/// Every batch size's band from a grid's cells (ScalingFit.Cell), the tolerance taken from each
/// row's best cell. A row whose best cell has no known error under Tolerance.Noise has no band.
let bands (t: Tolerance) (cells: ScalingFit.Cell[]) : Band[] =
    cells
    |> Array.groupBy (fun c -> c.Batch)
    |> Array.sortBy fst
    |> Array.choose (fun (b, cs) ->
        let scored = cs |> Array.map (fun c -> c, meanAndError c) |> Array.filter (fun (_, (m, _)) -> Double.IsFinite m)

        if scored.Length = 0 then
            None
        else
            let _, (bestMean, bestError) = scored |> Array.maxBy (fun (_, (m, _)) -> m)
            ofRow b (scored |> Array.map (fun (c, (m, _)) -> c.Lr, m)) (toleranceOf t bestMean bestError))

/// A 95% interval whose ends may be open (the replicates reach the grid's edge there).
type Ends = { Low: float; High: float }

/// The band's ends over bootstrap replicates: with two or more seeds every cell has, 1000
/// resamples of the seeds, drawn jointly across cells (as ScalingFit.fit), each row's band found
/// again with the point estimate's absolute tolerance. Per batch size, the 95% percentile
/// intervals (in log lr) of the low and the high end; None for an end the grid's edge cuts in
/// more than 2.5% of the replicates (its interval is not bounded there).
type BandInterval = { Batch: int; LowEnd: Ends option; HighEnd: Ends option }

let private seedsOf (cells: ScalingFit.Cell[]) =
    cells
    |> Array.collect (fun c -> c.Seeds)
    |> Array.distinct
    |> Array.sort
    |> Array.filter (fun s -> cells |> Array.forall (fun c -> Array.contains s c.Seeds))

/// The bootstrap replicates of every row's band (empty with fewer than two common seeds).
let replicate (seed: uint64) (t: Tolerance) (cells: ScalingFit.Cell[]) : Band[][] =
    let point = bands t cells |> Array.map (fun b -> b.Batch, b.BestScore - b.Threshold) |> dict
    let seeds = seedsOf cells

    if seeds.Length < 2 then
        [||]
    else
        Statistics.replicates seed 1000 (fun rng ->
            let picked = Array.init seeds.Length (fun _ -> seeds[rng.NextInt seeds.Length])

            cells
            |> Array.groupBy (fun c -> c.Batch)
            |> Array.sortBy fst
            |> Array.choose (fun (b, cs) ->
                let row =
                    cs
                    |> Array.map (fun c ->
                        let values = picked |> Array.map (fun s -> c.Values[Array.IndexOf(c.Seeds, s)])
                        c.Lr, Array.average values)

                match point.TryGetValue b with
                | true, tol -> ofRow b row tol
                | _ -> None))

/// Per batch size, the 95% intervals of the band's ends over `replicates`.
let intervals (replicates: Band[][]) : BandInterval[] =
    if replicates.Length = 0 then
        [||]
    else
        replicates
        |> Array.concat
        |> Array.groupBy (fun b -> b.Batch)
        |> Array.sortBy fst
        |> Array.map (fun (batch, bs) ->
            let ends (value: Band -> float) (isOpen: Band -> bool) =
                if float (bs |> Array.filter isOpen |> Array.length) > 0.025 * float bs.Length then
                    None
                else
                    Statistics.percentileInterval bs.Length (bs |> Array.map (value >> log))
                    |> Option.map (fun (lo, hi) -> { Low = exp lo; High = exp hi })

            {
                Batch = batch
                LowEnd = ends (fun b -> b.Low) (fun b -> b.LowOpen)
                HighEnd = ends (fun b -> b.High) (fun b -> b.HighOpen)
            })

/// The slope of the band's width (decades) on log10 B over the batch sizes whose band is closed
/// at both ends; None with fewer than 3 of them. Negative: the band narrows as the batch grows.
let widthSlope (bands: Band[]) =
    let closed = bands |> Array.filter (fun b -> b.Closed)

    if closed.Length < 3 then
        None
    else
        Statistics.linearFit (closed |> Array.map (fun b -> log10 (float b.Batch))) (closed |> Array.map (fun b -> b.Decades))
        |> Option.map snd

/// The width slope's 95% interval over the replicates (each replicate's slope over the same
/// closed batch sizes as the point estimate); None when too few replicates have one.
let widthSlopeInterval (bands: Band[]) (replicates: Band[][]) : ScalingFit.Interval option =
    let closed = bands |> Array.filter (fun b -> b.Closed) |> Array.map (fun b -> b.Batch) |> set

    let slopes =
        replicates
        |> Array.map (fun r ->
            let same = r |> Array.filter (fun b -> closed.Contains b.Batch)

            if same.Length = closed.Count && same |> Array.forall (fun b -> b.Closed) then
                widthSlope same |> Option.defaultValue nan
            else
                nan)

    if slopes.Length = 0 then
        None
    else
        Statistics.percentileInterval slopes.Length slopes |> Option.map (fun (low, high) -> { Low = low; High = high })

/// A scaling rule as a line through a base: lr(B) = lr0 (B / B0)^Exponent. The rules a grid with
/// fixed optimizer settings can test: keeping lr (the null rule), the square-root rule
/// (Krizhevsky 2014; Hoffer et al. 2017) and the linear rule (Goyal et al. 2017). Adam's SDE rule
/// (Malladi et al. 2022) and the beta2 half-life (Marek et al. 2025) also change beta1, beta2 or
/// epsilon with B, so a grid at fixed betas measures a different landscape from theirs: they are
/// tested by scaling arms (`scaling:` in a sweep), not here.
type Rule = { Name: string; Exponent: float }

let rules =
    [ { Name = "keep lr"; Exponent = 0.0 }; { Name = "square-root"; Exponent = 0.5 }; { Name = "linear"; Exponent = 1.0 } ]

/// Where a rule started at base B0 (lr0 its best measured learning rate) first leaves the band:
/// the first batch size above B0 (`Up`) and below it (`Down`) whose band does not hold the rule's
/// lr. None: it stays inside every band in that direction (it holds at least to the grid's end).
type Breaking = { Rule: Rule; Base: int; Up: int option; Down: int option }

let breaking (bands: Band[]) (b0: int) (rule: Rule) : Breaking option =
    match bands |> Array.tryFind (fun b -> b.Batch = b0) with
    | None -> None
    | Some baseBand ->
        let lr0 = baseBand.BestLr
        let predicted (b: int) = lr0 * Math.Pow(float b / float b0, rule.Exponent)
        let leaves (bs: Band seq) = bs |> Seq.tryFind (fun b -> not (b.Contains(predicted b.Batch))) |> Option.map (fun b -> b.Batch)
        let sorted = bands |> Array.sortBy (fun b -> b.Batch)

        Some
            {
                Rule = rule
                Base = b0
                Up = leaves (sorted |> Seq.filter (fun b -> b.Batch > b0))
                Down = leaves (sorted |> Seq.filter (fun b -> b.Batch < b0) |> Seq.rev)
            }

/// A breaking batch size's 95% interval over replicates, as batch sizes: the 2.5% and 97.5%
/// percentiles of where each replicate's rule leaves its band, a replicate where it never leaves
/// counted past the grid's end (then the upper end is None: not bounded by the data).
type BreakInterval = { Low: int option; High: int option }

let breakingInterval (replicates: Band[][]) (b0: int) (rule: Rule) (up: bool) : BreakInterval option =
    let found = replicates |> Array.choose (fun r -> breaking r b0 rule) |> Array.map (fun br -> if up then br.Up else br.Down)

    if found.Length < replicates.Length / 2 || found.Length = 0 then
        None
    else
        // order the outcomes from nearest the base to never: up, a larger batch is farther
        let key (b: int option) =
            match b with
            | Some v -> (if up then float v else -float v)
            | None -> infinity

        let sorted = found |> Array.sortBy key
        let at (q: float) = sorted[min (sorted.Length - 1) (int (q * float sorted.Length))]
        Some { Low = at 0.025; High = at 0.975 }

/// The SGD noise scale of Smith and Le (2018, "A Bayesian Perspective on Generalization and
/// Stochastic Gradient Descent", ICLR, §5 and Eq. 7 with momentum): g = lr N / (B (1 - m)), N the
/// training rows and m the momentum. They predict the best g is the same at every batch size.
/// Its spread over batch sizes (decades of the best g: log10 of max/min) beside the spread of the
/// best learning rate itself says how well g collapses the grid; N and (1 - m) are the same for
/// every batch size, so the spread of g is that of lr*/B: g collapses the grid exactly when the
/// best lr grows linearly in B.
let noiseScale (lr: float) (rows: int) (batch: int) (momentum: float) = lr * float rows / (float batch * (1.0 - momentum))

type Collapse =
    {
        /// Decades spanned by the best g over the bracketed batch sizes.
        SpreadG: float
        /// Decades spanned by the best lr over the same batch sizes.
        SpreadLr: float
        /// SpreadG's 95% interval over the fit's replicates (None without replicates).
        Interval: Ends option
    }

let private spread (xs: float[]) = log10 (Array.max xs / Array.min xs)

let collapse (fit: ScalingFit.Fit) (rows: int) (momentum: float) : Collapse option =
    let best = ScalingFit.bestPoints fit

    if best.Length < 2 then
        None
    else
        let g (b: int, lr: float) = noiseScale lr rows b momentum
        let replicated = fit.Replicates |> Array.filter (fun r -> r.Length = best.Length) |> Array.map (Array.map g >> spread)

        Some
            {
                SpreadG = best |> Array.map (fun p -> g (p.Batch, p.Lr)) |> spread
                SpreadLr = best |> Array.map (fun p -> p.Lr) |> spread
                Interval =
                    (if replicated.Length = 0 then
                         None
                     else
                         Statistics.percentileInterval fit.Replicates.Length replicated |> Option.map (fun (lo, hi) -> { Low = lo; High = hi }))
            }
