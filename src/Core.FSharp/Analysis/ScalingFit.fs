/// The fitted scaling exponent k in lr* ~ B^k (what a study's analysis must show): the best
/// learning rate of each batch size, a regression of log(best lr) on log(B), and a bootstrap interval; k near 1 is the linear rule, near 0.5 the square-root rule.
module Lrbs.Core.Analysis.ScalingFit

open System
open Lrbs.Core.Engine

/// One (batch size, learning rate) cell of a grid: the metric of each repeat (higher is better).
type Cell = { Batch: int; Lr: float; Values: float[] }

/// A 95% interval.
type Interval = { Low: float; High: float }

/// The fit: k, its 95% interval (none when the data cannot give one), each batch size's best
/// learning rate, and how the interval was made or why there is none.
type Fit =
    { K: float
      Interval: Interval option
      Best: (int * float)[]
      Method: string
      /// Rows whose best cell is the smallest or largest learning rate of the grid: there the
      /// optimum may lie outside the grid, and the row's best lr is only a bound.
      AtEdge: int
      /// The best learning rate of each batch size in every bootstrap replicate (empty without
      /// an interval): OptimumShape reads local slopes and the surge fit's intervals from them.
      Replicates: (int * float)[][] }

/// The best learning rate of one row of (lr, score) pairs: the vertex of the parabola through
/// the best cell and its two neighbours in log lr, when that parabola opens downwards and the
/// best cell is inside the row; otherwise the best cell's own lr.
let bestLr (row: (float * float)[]) =
    let row = row |> Array.sortBy fst
    let i = row |> Array.mapi (fun i (_, s) -> i, s) |> Array.maxBy snd |> fst
    if i = 0 || i = row.Length - 1 then fst row[i]
    else
        let x = [| for j in i - 1 .. i + 1 -> log (fst row[j]) |]
        let y = [| for j in i - 1 .. i + 1 -> snd row[j] |]
        // y = a x^2 + b x + c through three points
        let d = (x[0] - x[1]) * (x[0] - x[2]) * (x[1] - x[2])
        let a = (x[2] * (y[1] - y[0]) + x[1] * (y[0] - y[2]) + x[0] * (y[2] - y[1])) / d
        let b = (x[2] * x[2] * (y[0] - y[1]) + x[1] * x[1] * (y[2] - y[0]) + x[0] * x[0] * (y[1] - y[2])) / d
        if a < 0.0 then exp (Math.Clamp(-b / (2.0 * a), x[0], x[2])) else fst row[i]

/// Whether a row's best cell is its smallest or largest learning rate.
let atEdge (row: (float * float)[]) =
    let row = row |> Array.sortBy fst
    let i = row |> Array.mapi (fun i (_, s) -> i, s) |> Array.maxBy snd |> fst
    i = 0 || i = row.Length - 1

/// k from rows of (batch, [(lr, score)]): the slope of log(best lr) on log(batch).
let exponent (rows: (int * (float * float)[])[]) =
    let best = rows |> Array.map (fun (b, row) -> b, bestLr row)
    Statistics.linearFit (best |> Array.map (fst >> float >> log)) (best |> Array.map (snd >> log)) |> Option.map snd, best

let private rowsOf (cells: Cell[]) (score: Cell -> float) =
    cells
    |> Array.groupBy (fun c -> c.Batch)
    |> Array.sortBy fst
    |> Array.map (fun (b, cs) -> b, cs |> Array.map (fun c -> c.Lr, score c))
    |> Array.filter (fun (_, row) -> row |> Array.forall (snd >> Double.IsFinite))

/// Fits k. When every cell has 2 or more repeats the interval resamples the repeats of each
/// cell; otherwise, when every cell has a known standard error (`noise`, e.g. the binomial error
/// of one accuracy), it draws each cell's mean within noise/sqrt(repeats) and refits each row's
/// parabola. With neither (a partial sweep of a metric such as IoU) there is no interval: a
/// resample of single repeats would only repeat k and print a zero-width interval.
let fit (cells: Cell[]) (noise: Cell -> float) (seed: uint64) : Fit option =
    let rows = rowsOf cells (fun c -> Statistics.mean c.Values)
    if rows.Length < 2 then None
    else
        match exponent rows with
        | None, _ -> None
        | Some k, best ->
            let repeats = cells |> Array.forall (fun c -> c.Values.Length > 1)
            let parametric = not repeats && cells |> Array.forall (fun c -> noise c > 0.0)
            let replicate (rng: Rng) =
                let score (c: Cell) =
                    if repeats then Statistics.mean (Array.init c.Values.Length (fun _ -> c.Values[rng.NextInt c.Values.Length]))
                    else Statistics.mean c.Values + noise c / sqrt (float c.Values.Length) * Statistics.normal rng
                rowsOf cells score |> Array.map (fun (b, row) -> b, bestLr row)
            let slope (best: (int * float)[]) =
                Statistics.linearFit (best |> Array.map (fst >> float >> log)) (best |> Array.map (snd >> log)) |> Option.map snd |> Option.defaultValue nan
            let replicates, how =
                if repeats then Statistics.replicates seed 1000 replicate, "bootstrap over repeats (1000 resamples)"
                elif parametric then Statistics.replicates seed 1000 replicate, "parametric bootstrap of each cell within its standard error (1000 draws)"
                else [||], "no interval: some cells have a single repeat and the metric has no known standard error"
            let interval =
                if replicates.Length = 0 then None
                else Statistics.percentileInterval 1000 (replicates |> Array.map slope) |> Option.map (fun (low, high) -> { Low = low; High = high })
            Some
                { K = k; Interval = interval; Best = best; AtEdge = rows |> Array.filter (snd >> atEdge) |> Array.length
                  Method = (if interval.IsNone && (repeats || parametric) then "no interval: the bootstrap failed to refit" else how)
                  Replicates = replicates }

/// Whether k is measured at all: not when every row's optimum is at the grid's edge.
let measured (f: Fit) = f.AtEdge < f.Best.Length

/// Which rules the interval admits, as whole sentences (no verdict when every row's optimum is at the grid's edge).
let verdict (f: Fit) =
    let edge =
        if f.AtEdge = 0 then ""
        else $" In {f.AtEdge} of {f.Best.Length} batch sizes the best learning rate is at the edge of the grid, where the optimum may lie outside it."
    if f.AtEdge = f.Best.Length then
        "No verdict: at every batch size the best learning rate is at the edge of the grid, so the optimum lies outside it and k is not measured; extend the grid of learning rates."
    else
        match f.Interval with
        | None -> "No verdict between the linear and square-root rules without an interval; repeats give one." + edge
        | Some { Low = low; High = high } ->
            let inside v = low <= v && v <= high
            let rule =
                match inside 1.0, inside 0.5 with
                | true, true -> "Consistent with both the linear (k = 1) and the square-root (k = 0.5) rule: the grid cannot tell them apart"
                | true, false -> "Consistent with the linear rule (k = 1), not the square-root rule"
                | false, true -> "Consistent with the square-root rule (k = 0.5), not the linear rule"
                | false, false ->
                    if high < 0.5 then "Below both rules: the best learning rate grows more slowly than sqrt(B)"
                    elif low > 1.0 then "Above the linear rule"
                    else "Between the two rules, consistent with neither"
            rule + "." + edge
