/// How the optimum moves with the amount of data: the same model, optimizer and grid at several
/// pool sizes D (training rows). Zhang et al. (ICLR 2025, arXiv 2410.21676) find that "CBS
/// scales primarily with data size rather than model size"; Bjorck et al. (ICLR 2025, "Scaling
/// Optimal LR Across Token Horizons", arXiv 2409.19913) find the best learning rate falls as the
/// training horizon grows, as a power law. Here both are fitted as power laws in D:
///  - lr*(B, D) = c B^k D^d: least squares of log lr* on log B and log D over every batch size
///    whose optimum the grid brackets at each pool (the vertices of ScalingFit);
///  - B_crit(D) = c D^e: least squares of log B_crit on log D over the pools whose grid locates
///    B_crit (between its smallest and largest batch size; see Pool).
/// Each exponent's 95% interval pairs the pools' bootstrap replicates by index (replicate i of
/// every pool; the pools are independent, so any pairing draws from the joint distribution) and
/// refits; a replicate the data do not bound at a pool is left out, and with fewer than half of
/// them kept there is no interval.
module Lrbs.Core.Analysis.DataScaling

open System

/// One pool: its training rows D, its bracketed (batch size, vertex) points and their
/// replicates (ScalingFit.Fit's Best and Replicates), and its B_crit with replicates (NaN: a
/// replicate the data do not bound, or no fit). `BCrit` is a B_crit the grid locates, between its
/// smallest and largest batch size; a fitted one outside them is only a bound (the fit
/// extrapolates: the grid shows that batches had stopped paying in full from the smallest one,
/// or kept paying up to the largest), kept apart in `BCritOutside` and left out of B_crit(D).
type Pool =
    {
        Rows: int
        Best: (int * float)[]
        BestReplicates: (int * float)[][]
        BCrit: float option
        BCritOutside: float option
        BCritReplicates: float[]
    }

/// A fitted exponent with its 95% interval and the points it rests on.
type Exponent = { Value: float; Interval: ScalingFit.Interval option; Points: int }

/// lr*(B, D) = c B^k D^d: the exponent of the batch size and of the data.
type Surface = { K: Exponent; D: Exponent }

/// One pool as the fits read it: `best` and `bestReplicates` from its ScalingFit.Fit (empty
/// without a fit), and B_crit to `target` (CriticalBatchInterval.fit, with its 300 bootstrap
/// replicates) when there is a target every pool reaches. A replicate that ran into the search
/// range's end (within a factor 1.5) is not bounded by the data: NaN, left out of the refits.
let poolOf (rows: int) (best: (int * float)[]) (bestReplicates: (int * float)[][]) (target: float option) (runs: StepsToTarget.Run[]) : Pool =
    let fitted = target |> Option.bind (fun t -> CriticalBatchInterval.fit t runs) |> Option.map (fun p -> p.BCrit)
    let batches = runs |> Array.map (fun r -> float r.Batch)
    let inGrid (b: float) = batches.Length > 0 && Array.min batches <= b && b <= Array.max batches

    let replicates =
        match target |> Option.bind (fun t -> CriticalBatchInterval.replicates t runs) with
        | None -> [||]
        | Some(values, lowest, highest) -> values |> Array.map (fun v -> if v <= lowest * 1.5 || v >= highest / 1.5 then nan else v)

    {
        Rows = rows
        Best = best
        BestReplicates = bestReplicates
        BCrit = fitted |> Option.filter inGrid
        BCritOutside = fitted |> Option.filter (inGrid >> not)
        BCritReplicates = replicates
    }

/// Least squares of y on x1 and x2 with an intercept: (b1, b2), or None when the design is singular.
let regress2 (x1: float[]) (x2: float[]) (y: float[]) =
    let n = float y.Length
    let m (a: float[]) = Array.average a
    let c (a: float[]) (b: float[]) = Array.map2 (fun p q -> (p - m a) * (q - m b)) a b |> Array.sum
    let s11, s22, s12, s1y, s2y = c x1 x1, c x2 x2, c x1 x2, c x1 y, c x2 y
    let det = s11 * s22 - s12 * s12

    if n < 3.0 || abs det < 1e-12 * (s11 * s22 + 1e-300) then
        None
    else
        Some((s1y * s22 - s2y * s12) / det, (s2y * s11 - s1y * s12) / det)

let private surface (points: (int * float * int)[]) =
    if points.Length < 3 then
        None
    else
        regress2
            (points |> Array.map (fun (b, _, _) -> log (float b)))
            (points |> Array.map (fun (_, _, d) -> log (float d)))
            (points |> Array.map (fun (_, lr, _) -> log lr))

let private interval (values: float[]) (count: int) : ScalingFit.Interval option =
    if count = 0 then
        None
    else
        Statistics.percentileInterval count values |> Option.map (fun (low, high) -> { Low = low; High = high })

/// lr*(B, D) = c B^k D^d: (k, d), each with its interval. Needs two or more pools and
/// batch sizes, and 3 or more points.
let lrSurface (pools: Pool[]) : Surface option =
    let points (p: Pool) (best: (int * float)[]) = best |> Array.map (fun (b, lr) -> b, lr, p.Rows)
    let all = pools |> Array.collect (fun p -> points p p.Best)
    let pooled = (all |> Array.map (fun (_, _, d) -> d) |> Array.distinct).Length

    if pooled < 2 then
        None
    else
        surface all
        |> Option.map (fun (k, d) ->
            let count = pools |> Array.map (fun p -> p.BestReplicates.Length) |> Array.min

            let replicated =
                Array.init count (fun i ->
                    let r =
                        pools
                        |> Array.collect (fun p -> if p.BestReplicates[i].Length = p.Best.Length then points p p.BestReplicates[i] else [||])

                    if r.Length = all.Length then surface r else None)

            let ks = replicated |> Array.map (Option.map fst >> Option.defaultValue nan)
            let ds = replicated |> Array.map (Option.map snd >> Option.defaultValue nan)

            {
                K = { Value = k; Interval = interval ks count; Points = all.Length }
                D = { Value = d; Interval = interval ds count; Points = all.Length }
            })

/// B_crit(D) = c D^e: e with its interval; needs B_crit at two or more pools.
let criticalBatch (pools: Pool[]) : Exponent option =
    let measured = pools |> Array.filter (fun p -> p.BCrit.IsSome)

    if measured.Length < 2 then
        None
    else
        let fit (bs: float[]) =
            Statistics.linearFit (measured |> Array.map (fun p -> log (float p.Rows))) (bs |> Array.map log)
            |> Option.map snd
            |> Option.defaultValue nan

        let e = fit (measured |> Array.map (fun p -> p.BCrit.Value))
        let count = measured |> Array.map (fun p -> p.BCritReplicates.Length) |> Array.min
        let replicated = Array.init count (fun i -> fit (measured |> Array.map (fun p -> p.BCritReplicates[i])))
        Some { Value = e; Interval = interval replicated count; Points = measured.Length }
