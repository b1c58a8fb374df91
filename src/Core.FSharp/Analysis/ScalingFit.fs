/// The fitted scaling exponent k in lr* ~ B^k (what a study's analysis must show): each batch
/// size's best learning rate, a regression of log(best lr) on log(B) over the batch sizes whose
/// optimum the grid brackets, and a bootstrap interval that resamples seeds jointly across cells
/// and refits every vertex. k near 1 is the linear rule, near 0.5 the square-root rule; a verdict
/// between them is given only where its premises hold (at least 3 bracketed batch sizes, and
/// seeds to measure seed-to-seed variation), and otherwise the sentence says which one fails.
module Lrbs.Core.Analysis.ScalingFit

open System
open Lrbs.Core.Engine

/// One (batch size, learning rate) cell of a grid: each seed's metric (higher is better; a trial
/// that diverged, failed or collapsed scores 0), `Seeds` naming the seed of each value, and the
/// standard error of one value where the metric has one (a proportion's on its test rows; NaN).
type Cell = { Batch: int; Lr: float; Values: float[]; Seeds: int[]; Noise: float }

/// A 95% interval.
type Interval = { Low: float; High: float }

/// Whether the grid brackets a batch size's optimum.
[<RequireQualifiedAccess>]
type Bound =
    /// The best cell has a learning rate on each side: the vertex is a measurement.
    | Interior
    /// The best cell is the smallest learning rate run: the optimum is at or below it.
    | AtMost
    /// The best cell is the largest learning rate run: the optimum is at or above it.
    | AtLeast

/// One batch size: the best cell searched (the highest mean over seeds, what `lrbs sweep plan`
/// reports), the vertex of the parabola through it and its neighbours in log lr (a finer
/// estimate between the points run), and whether the optimum is bracketed.
type Row =
    {
        Batch: int
        BestLr: float
        BestMean: float
        Vertex: float
        Bound: Bound
        /// Half the log-lr gap to the best cell's nearer neighbour, as a factor: the vertex and
        /// the best cell differ notably when the vertex is farther than this.
        HalfStep: float
    }

/// What an interval covers.
[<RequireQualifiedAccess>]
type Coverage =
    /// Seeds resampled jointly across cells: seed-to-seed variation and test sampling.
    | Seeds of count: int
    /// One seed per cell: each cell drawn within its test-set standard error; seed-to-seed
    /// variation is not in it.
    | TestSampling
    /// No interval, and why.
    | None of why: string

/// The fit: k over the bracketed batch sizes, its interval and what it covers, every row, and
/// the bootstrap replicates of the bracketed rows' vertices.
type Fit =
    {
        K: float
        Interval: Interval option
        Coverage: Coverage
        Rows: Row[]
        /// The bracketed batch sizes and their vertices (what k and the local slopes are fitted to).
        Best: (int * float)[]
        /// How the interval was made, in words.
        Method: string
        /// Rows whose optimum is only a bound (at the grid's edge).
        AtEdge: int
        /// Each replicate's vertices of the bracketed batch sizes (empty without an interval).
        Replicates: (int * float)[][]
    }

/// The index of a row's best cell (the first maximum: the smaller lr on a tie), and its vertex.
let private best (row: (float * float)[]) =
    let row = row |> Array.sortBy fst
    let i = row |> Array.mapi (fun i (_, s) -> i, s) |> Array.maxBy snd |> fst

    let vertex =
        if i = 0 || i = row.Length - 1 then
            fst row[i]
        else
            let x = [| for j in i - 1 .. i + 1 -> log (fst row[j]) |]
            let y = [| for j in i - 1 .. i + 1 -> snd row[j] |]
            // y = a x^2 + b x + c through three points
            let d = (x[0] - x[1]) * (x[0] - x[2]) * (x[1] - x[2])
            let a = (x[2] * (y[1] - y[0]) + x[1] * (y[0] - y[2]) + x[0] * (y[2] - y[1])) / d
            let b = (x[2] * x[2] * (y[0] - y[1]) + x[1] * x[1] * (y[2] - y[0]) + x[0] * x[0] * (y[1] - y[2])) / d
            if a < 0.0 then exp (Math.Clamp(-b / (2.0 * a), x[0], x[2])) else fst row[i]

    row, i, vertex

/// The best learning rate of one row of (lr, score) pairs: the vertex of the parabola through
/// the best cell and its two neighbours in log lr, when that parabola opens downwards and the
/// best cell is inside the row; otherwise the best cell's own lr.
let bestLr (row: (float * float)[]) = let _, _, v = best row in v

/// Whether a row's best cell is its smallest or largest learning rate.
let atEdge (row: (float * float)[]) =
    let row, i, _ = best row
    i = 0 || i = row.Length - 1

let private rowOf (batch: int) (row: (float * float)[]) =
    let row, i, vertex = best row

    let gaps =
        [
            if i > 0 then
                log (fst row[i] / fst row[i - 1])

                if i < row.Length - 1 then
                    log (fst row[i + 1] / fst row[i])
        ]

    {
        Batch = batch
        BestLr = fst row[i]
        BestMean = snd row[i]
        Vertex = vertex
        Bound =
            (if row.Length < 2 then Bound.AtMost
             elif i = 0 then Bound.AtMost
             elif i = row.Length - 1 then Bound.AtLeast
             else Bound.Interior)
        HalfStep = (if gaps.IsEmpty then 1.0 else exp (List.min gaps / 2.0))
    }

/// k from rows of (batch, [(lr, score)]): the slope of log(best lr) on log(batch).
let exponent (rows: (int * (float * float)[])[]) =
    let best = rows |> Array.map (fun (b, row) -> b, bestLr row)
    Statistics.linearFit (best |> Array.map (fst >> float >> log)) (best |> Array.map (snd >> log)) |> Option.map snd, best

/// A row per batch size of (lr, score), the score of each cell given by `score`; a cell without
/// a finite score is left out.
let private rowsOf (cells: Cell[]) (score: Cell -> float) =
    cells
    |> Array.groupBy (fun c -> c.Batch)
    |> Array.sortBy fst
    |> Array.map (fun (b, cs) -> b, cs |> Array.map (fun c -> c.Lr, score c) |> Array.filter (snd >> Double.IsFinite))
    |> Array.filter (fun (_, row) -> row.Length > 0)

let private slope (best: (int * float)[]) =
    Statistics.linearFit (best |> Array.map (fst >> float >> log)) (best |> Array.map (snd >> log))
    |> Option.map snd
    |> Option.defaultValue nan

/// A cell's mean over the seeds drawn (each draw that the cell has counts once); NaN when it has none of them.
let private meanOver (draw: int[]) (c: Cell) =
    let values = draw |> Array.choose (fun s -> Array.tryFindIndex ((=) s) c.Seeds |> Option.map (fun i -> c.Values[i]))
    if values.Length = 0 then nan else Array.average values

/// Fits k. The rows are every batch size's best cell and vertex; k is fitted to the bracketed
/// ones (Bound.Interior), the others are bounds, counted in AtEdge and named by the report.
/// The interval: with two or more seeds, 1000 resamples of the seeds (the same draw for every
/// cell, so a seed that is good everywhere stays good everywhere), every cell's mean recomputed
/// and every vertex refitted; with one seed, every cell drawn within its standard error (its
/// `Noise` over the square root of its seeds), which covers the test set's sampling only, as for
/// a sweep whose cells do not all have the same seeds yet; with neither, none.
let fit (cells: Cell[]) (seed: uint64) : Fit option =
    let rows = rowsOf cells (fun c -> Statistics.mean c.Values) |> Array.map (fun (b, row) -> rowOf b row)

    if rows.Length < 2 then
        None
    else
        let interior = rows |> Array.filter (fun r -> r.Bound = Bound.Interior)
        let best = interior |> Array.map (fun r -> r.Batch, r.Vertex)
        let k = slope best
        let batches = best |> Array.map fst
        // the seeds every cell has: a resample draws from them (a sweep still running its later
        // seeds has cells without them, and is resampled as a grid of one seed)
        let seeds =
            cells
            |> Array.collect (fun c -> c.Seeds)
            |> Array.distinct
            |> Array.sort
            |> Array.filter (fun s -> cells |> Array.forall (fun c -> Array.contains s c.Seeds))

        let replicate (score: Rng -> Cell -> float) (rng: Rng) =
            let score = score rng
            rowsOf cells score |> Array.filter (fun (b, _) -> Array.contains b batches) |> Array.map (fun (b, row) -> b, bestLr row)

        let replicates, coverage, how =
            if best.Length < 2 then
                [||], Coverage.None "fewer than two batch sizes with a bracketed optimum", "no interval: fewer than two batch sizes with a bracketed optimum"
            elif seeds.Length >= 2 then
                let draw (rng: Rng) =
                    let picked = Array.init seeds.Length (fun _ -> seeds[rng.NextInt seeds.Length])
                    fun (c: Cell) -> meanOver picked c

                Statistics.replicates seed 1000 (replicate draw),
                Coverage.Seeds seeds.Length,
                $"bootstrap over the {seeds.Length} seeds, resampled jointly across cells, every vertex refitted (1000 resamples)"
            elif cells |> Array.forall (fun c -> c.Noise > 0.0) then
                let draw (rng: Rng) = fun (c: Cell) -> Statistics.mean c.Values + c.Noise / sqrt (float c.Values.Length) * Statistics.normal rng

                Statistics.replicates seed 1000 (replicate draw),
                Coverage.TestSampling,
                "each cell drawn within its test-set standard error (1000 draws): one seed per cell, so seed-to-seed variation is not in it"
            elif cells |> Array.exists (fun c -> c.Values.Length > 1) then
                [||],
                Coverage.None "some cells lack seeds that others have (a sweep still running its later seeds) and the metric has no known standard error",
                "no interval: some cells lack seeds that others have and the metric has no known standard error"
            else
                [||],
                Coverage.None "one seed per cell and a metric without a known standard error",
                "no interval: one seed per cell and a metric without a known standard error"

        let interval =
            if replicates.Length = 0 then
                None
            else
                let complete = replicates |> Array.map (fun r -> if r.Length = best.Length then slope r else nan)
                Statistics.percentileInterval 1000 complete |> Option.map (fun (low, high) -> { Low = low; High = high })

        Some
            {
                K = k
                Interval = interval
                Rows = rows
                Best = best
                AtEdge = rows.Length - interior.Length
                Coverage = (if interval.IsNone && replicates.Length > 0 then Coverage.None "the bootstrap failed to refit" else coverage)
                Method = (if interval.IsNone && replicates.Length > 0 then "no interval: the bootstrap failed to refit" else how)
                Replicates = replicates
            }

/// A bracketed batch size's best learning rate (its row's vertex), as the report lists it.
type BestPoint = { Batch: int; Lr: float }

/// The bracketed batch sizes' vertices, in batch order.
let bestPoints (f: Fit) = f.Best |> Array.sortBy fst |> Array.map (fun (b, lr) -> { Batch = b; Lr = lr })

/// The 95% percentile interval of batch size b's vertex over the fit's replicates, taken in log
/// lr (Statistics.percentileInterval); None without replicates or with too few finite ones.
let bestInterval (f: Fit) (b: int) : Interval option =
    if f.Replicates.Length = 0 then
        None
    else
        let logs = f.Replicates |> Array.collect (Array.filter (fun (rb, _) -> rb = b) >> Array.map (snd >> log))
        Statistics.percentileInterval f.Replicates.Length logs |> Option.map (fun (lo, hi) -> { Low = exp lo; High = exp hi })

/// Whether k is measured at all: two or more batch sizes with a bracketed optimum.
let measured (f: Fit) = f.Best.Length >= 2

/// The premises of a verdict between the linear and square-root rules that fail, in words
/// (none: a verdict may be given).
let failedPremises (f: Fit) =
    [
        if f.Best.Length < 3 then
            yield $"it rests on {f.Best.Length} batch size(s) with a bracketed optimum, and a rule needs at least 3"
        match f.Coverage with
        | Coverage.Seeds n when n < 3 ->
            yield $"{n} seeds give the bootstrap only {n * (n + 1) / 2} distinct resamples, too few to carry a verdict (3 seeds or more)"
        | Coverage.Seeds _ -> ()
        | Coverage.TestSampling ->
            yield "the interval holds only the test set's sampling error, not seed-to-seed variation (one seed per cell, or seeds not common to every cell)"
        | Coverage.None why -> yield $"there is no interval ({why})"
    ]

/// The rows that are only bounds, in words ("at batch 4 and 8 the best lr is the largest run: the optimum is at or above it").
let boundsText (f: Fit) =
    let part bound words =
        match f.Rows |> Array.filter (fun r -> r.Bound = bound) with
        | [||] -> None
        | rs -> Some $"""at batch size {String.Join(", ", rs |> Array.map (fun r -> r.Batch))} the best learning rate is the {words}"""

    [
        part Bound.AtLeast "largest run, so the optimum is at or above it"
        part Bound.AtMost "smallest run, so the optimum is at or below it"
    ]
    |> List.choose id

/// Which rules the interval admits, as whole sentences: a verdict only where every premise holds,
/// otherwise what k and its interval are and which premise fails.
let verdict (f: Fit) =
    let bounds =
        match boundsText f with
        | [] -> ""
        | parts -> $""" Left out of the fit as bounds: {String.Join("; ", parts)}; a learning-rate bracket (lr: {{bracket: ...}}) extends the search there."""

    if not (measured f) then
        "No verdict: fewer than two batch sizes have their best learning rate inside the grid, so k is not measured." + bounds
    else
        match failedPremises f with
        | _ :: _ as fails -> $"""No verdict about the linear or square-root rule: {String.Join("; ", fails)}.""" + bounds
        | [] ->
            let i = f.Interval.Value
            let inside v = i.Low <= v && v <= i.High

            let rule =
                match inside 1.0, inside 0.5 with
                | true, true -> "Consistent with both the linear (k = 1) and the square-root (k = 0.5) rule: the grid cannot tell them apart"
                | true, false -> "Consistent with the linear rule (k = 1), not the square-root rule"
                | false, true -> "Consistent with the square-root rule (k = 0.5), not the linear rule"
                | false, false ->
                    if i.High < 0.5 then "Below both rules: the best learning rate grows more slowly than sqrt(B)"
                    elif i.Low > 1.0 then "Above the linear rule"
                    else "Between the two rules, consistent with neither"
            // with rows left out as bounds, the verdict speaks only for the batch sizes it was fitted to
            let scope =
                if f.AtEdge = 0 then
                    ""
                else
                    let bs = f.Best |> Array.map fst
                    $" (over batch sizes {Array.min bs} to {Array.max bs}, where the grid brackets the optimum)"

            rule + scope + "." + bounds

/// The rule the fit supports, by name, where a verdict is given: "linear", "square-root", or none.
let rule (f: Fit) =
    match f.Interval with
    | Some i when measured f && failedPremises f |> List.isEmpty ->
        let inside v = i.Low <= v && v <= i.High

        match inside 1.0, inside 0.5 with
        | true, false -> Some "linear"
        | false, true -> Some "square-root"
        | _ -> None
    | _ -> None
