/// The critical batch size over training, CBS(t) (Merrill, Arora, Groeneveld and Hajishirzi 2025,
/// "Critical Batch Size Revisited", arXiv 2505.23971, §3.2: "the CBS ... is near 0 at
/// initialization, increases rapidly at first, and then plateaus"), measured directly at each
/// branch point (CriticalBatchDirect), and how well the gradient noise scale B_simple (McCandlish
/// et al. 2018) tracks it: Spearman's rank correlation of the two over the points and the
/// geometric mean of their ratio B_simple / CBS, each with a bootstrap interval over the points.
module Lrbs.Core.Analysis.CriticalBatchOverTraining

open System
open Lrbs.Core.Engine

/// CBS at one branch point: `At` epochs into the reference run, `Examples` seen there.
type Point = { At: float; Examples: float; Cbs: CriticalBatchDirect.OverRepeats }

/// CBS(t) at every branch point from its branches (one list per repeat), in the order of `At`;
/// an error names the point.
let points (tolerance: float) (examplesPerEpoch: float) (byPoint: (float * CriticalBatchDirect.Branch list list) list) : Result<Point list, string> =
    let each =
        byPoint
        |> List.sortBy fst
        |> List.map (fun (at, repeats) ->
            CriticalBatchDirect.overRepeats tolerance repeats
            |> Result.map (fun cbs -> { At = at; Examples = at * examplesPerEpoch; Cbs = cbs })
            |> Result.mapError (fun e -> $"branch point {at} epochs: {e}"))

    match
        each
        |> List.tryPick (function
            | Error e -> Some e
            | Ok _ -> None)
    with
    | Some e -> Error e
    | None ->
        Ok(
            each
            |> List.choose (function
                | Ok p -> Some p
                | Error _ -> None)
        )

/// Ranks from 1, ties given their average rank.
let ranks (xs: float[]) =
    let order = xs |> Array.mapi (fun i x -> i, x) |> Array.sortBy snd
    let r = Array.zeroCreate xs.Length
    let mutable i = 0

    while i < order.Length do
        let mutable j = i

        while j + 1 < order.Length && snd order[j + 1] = snd order[i] do
            j <- j + 1

        for k in i..j do
            r[fst order[k]] <- float (i + j) / 2.0 + 1.0

        i <- j + 1

    r

/// Spearman's rank correlation: Pearson's correlation of the ranks. NaN where either side has no
/// spread (every value tied).
let spearman (xs: float[]) (ys: float[]) =
    let rx, ry = ranks xs, ranks ys
    let mx, my = Array.average rx, Array.average ry
    let sxy = Array.fold2 (fun s a b -> s + (a - mx) * (b - my)) 0.0 rx ry
    let sxx = rx |> Array.sumBy (fun a -> (a - mx) ** 2.0)
    let syy = ry |> Array.sumBy (fun b -> (b - my) ** 2.0)
    if sxx = 0.0 || syy = 0.0 then nan else sxy / sqrt (sxx * syy)

/// How well a proxy tracks the direct measurement over `Pairs` points: Spearman's rho and the
/// geometric-mean ratio proxy / CBS, each with a 95% percentile bootstrap interval over the points
/// (2,000 resamples, a fixed seed).
type Tracking = { Pairs: int; Rho: float; RhoLow: float; RhoHigh: float; Ratio: float; RatioLow: float; RatioHigh: float }

let private resamples = 2000

/// The tracking of `pairs` (CBS, proxy), both > 0; None for fewer than three pairs.
let tracking (pairs: (float * float)[]) : Tracking option =
    let pairs = pairs |> Array.filter (fun (c, p) -> c > 0.0 && p > 0.0 && Double.IsFinite c && Double.IsFinite p)

    if pairs.Length < 3 then
        None
    else
        let rho (ps: (float * float)[]) = spearman (Array.map fst ps) (Array.map snd ps)
        let ratio (ps: (float * float)[]) = ps |> Array.averageBy (fun (c, p) -> log (p / c)) |> exp

        let draw (rng: Rng) = Array.init pairs.Length (fun _ -> pairs[int (rng.NextDouble() * float pairs.Length) % pairs.Length])

        let interval seed statistic = Statistics.bootstrap seed resamples (draw >> statistic) |> Option.defaultValue (nan, nan)

        let rhoLow, rhoHigh = interval 0x5EA4A17UL rho
        let ratioLow, ratioHigh = interval 0x5EA4A18UL ratio

        Some
            {
                Pairs = pairs.Length
                Rho = rho pairs
                RhoLow = rhoLow
                RhoHigh = rhoHigh
                Ratio = ratio pairs
                RatioLow = ratioLow
                RatioHigh = ratioHigh
            }

/// A proxy's value at `examples` from its curve (examples, value), read linearly in log examples
/// and log value between the two measurements around it; None outside the curve.
let interpolate (curve: (float * float)[]) (examples: float) =
    let c = curve |> Array.filter (fun (x, y) -> x > 0.0 && y > 0.0 && Double.IsFinite y) |> Array.sortBy fst

    if c.Length = 0 || examples < fst c[0] || examples > fst c[c.Length - 1] then
        None
    else
        match c |> Array.tryFind (fun (x, _) -> x = examples) with
        | Some(_, y) -> Some y
        | None ->
            let i = c |> Array.findIndex (fun (x, _) -> x > examples)
            let (x0, y0), (x1, y1) = c[i - 1], c[i]
            let f = (log examples - log x0) / (log x1 - log x0)
            Some(exp (log y0 + f * (log y1 - log y0)))
