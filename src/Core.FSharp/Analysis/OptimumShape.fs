/// The shape of lr*(B), the best learning rate against batch size, beyond one power law: the
/// local slope d log lr* / d log B between neighbouring batch sizes, and Adam's "surge" form
/// fitted beside the power law with a model comparison (what a study's analysis must show;
/// docs/studies.md). Intervals come from the bootstrap replicates of ScalingFit.fit.
module Lrbs.Core.Analysis.OptimumShape

open System

/// The local slope between two neighbouring batch sizes (with a bracketed optimum), its 95%
/// interval, and whether it departs from the single k: Holm-adjusted over the family of slopes.
type Slope =
    {
        From: int
        To: int
        Slope: float
        Interval: ScalingFit.Interval option
        /// The bootstrap p-value of "this slope equals k" (slope minus k in each replicate),
        /// Holm-adjusted over every slope of the fit (Statistics.holm); NaN without replicates.
        P: float
        /// The slope departs from k at the 5% level with the family controlled (P < 0.05).
        Departs: bool
    }

/// (log lr*_2 - log lr*_1) / (log B_2 - log B_1) between consecutive batch sizes.
let private slopes (best: (int * float)[]) =
    best
    |> Array.sortBy fst
    |> Array.pairwise
    |> Array.map (fun ((b1, l1), (b2, l2)) -> b1, b2, (log l2 - log l1) / (log (float b2) - log (float b1)))

let private kOf (best: (int * float)[]) =
    Statistics.linearFit (best |> Array.map (fst >> float >> log)) (best |> Array.map (snd >> log))
    |> Option.map snd
    |> Option.defaultValue nan

/// Local slopes with intervals from the replicates, and each one's test against k with the
/// family of slopes controlled by Holm's method (six slopes tested apart at 95% would show a
/// spurious departure about a quarter of the time).
let localSlopes (fit: ScalingFit.Fit) : Slope[] =
    let full = fit.Replicates |> Array.filter (fun r -> r.Length = fit.Best.Length)
    let replicated = full |> Array.map (fun r -> slopes r, kOf r)

    let raw =
        slopes fit.Best
        |> Array.mapi (fun i (b1, b2, s) ->
            let values = replicated |> Array.map (fun (r, _) -> let _, _, v = r[i] in v)
            let differences = replicated |> Array.map (fun (r, k) -> let _, _, v = r[i] in v - k)

            let interval =
                if fit.Replicates.Length = 0 then
                    None
                else
                    Statistics.percentileInterval fit.Replicates.Length values
                    |> Option.map (fun (lo, hi) -> { ScalingFit.Low = lo; ScalingFit.High = hi })

            b1, b2, s, interval, (if full.Length = 0 then nan else Statistics.bootstrapP differences))

    let adjusted = raw |> Array.map (fun (_, _, _, _, p) -> if Double.IsNaN p then 1.0 else p) |> Statistics.holm

    raw
    |> Array.mapi (fun i (b1, b2, s, interval, p) ->
        {
            From = b1
            To = b2
            Slope = s
            Interval = interval
            P = (if Double.IsNaN p then nan else adjusted[i])
            Departs = not (Double.IsNaN p) && adjusted[i] < 0.05
        })

/// The surge form for Adam (Li et al. 2024, "Surge Phenomenon in Optimal Learning Rate and
/// Batch Size Scaling", NeurIPS, Eq. 2): lr*(B) = lr_max / (1/2 (sqrt(B_noise / B) + sqrt(B / B_noise))).
/// It rises as sqrt(B) well below B_noise, peaks at B = B_noise (Eq. 15) with lr_max, and falls
/// as 1/sqrt(B) above it; its local slope (B_noise - B) / (2 (B_noise + B)) lies in (-1/2, 1/2).
let surge (lrMax: float) (bNoise: float) (b: float) = lrMax / (0.5 * (sqrt (bNoise / b) + sqrt (b / bNoise)))

/// A fitted surge: lr_max, B_noise, the residual sum of squares in log lr, and B_noise's interval.
type Surge =
    {
        LrMax: float
        BNoise: float
        Rss: float
        BNoiseInterval: ScalingFit.Interval option
        /// The best B_noise is at an end of the range searched (e^4 beyond the batch sizes run):
        /// the data ask for no peak, only the surge's monotone flank.
        AtSearchEdge: bool
    }

/// Least squares in log lr over log B_noise (a scan over the batch sizes' range widened by e^4
/// each way, then golden-section refinement); log lr_max is then the mean residual. None with
/// fewer than 3 batch sizes.
let private fitSurgeOnce (best: (int * float)[]) =
    if best.Length < 3 then
        None
    else
        let x = best |> Array.map (fst >> float >> log)
        let y = best |> Array.map (snd >> log)
        // log lr* = c - log (e^((u - x)/2) + e^((x - u)/2)),  c = log (2 lr_max),  u = log B_noise
        let shape u = x |> Array.map (fun xi -> log (exp ((u - xi) / 2.0) + exp ((xi - u) / 2.0)))

        let solve u =
            let s = shape u
            let c = Array.map2 (+) y s |> Array.average
            let rss = Array.map2 (fun yi si -> (yi - (c - si)) ** 2.0) y s |> Array.sum
            c, rss

        let lo, hi = Array.min x - 4.0, Array.max x + 4.0
        let n = 400
        let grid = [| for k in 0..n -> lo + (hi - lo) * float k / float n |]
        let k = grid |> Array.mapi (fun i u -> i, snd (solve u)) |> Array.minBy snd |> fst
        let mutable a, b = grid[max 0 (k - 1)], grid[min n (k + 1)]

        for _ in 1..60 do
            let m1, m2 = b - 0.618034 * (b - a), a + 0.618034 * (b - a)
            if snd (solve m1) < snd (solve m2) then b <- m2 else a <- m1

        let u = (a + b) / 2.0
        let c, rss = solve u
        Some(exp c / 2.0, exp u, rss, (u - lo) < 2.0 * (hi - lo) / float n || (hi - u) < 2.0 * (hi - lo) / float n)

/// The surge fitted to the best learning rates, with B_noise's interval over the replicates.
let fitSurge (fit: ScalingFit.Fit) : Surge option =
    fitSurgeOnce fit.Best
    |> Option.map (fun (lrMax, bNoise, rss, edge) ->
        let replicated = fit.Replicates |> Array.choose (fitSurgeOnce >> Option.map (fun (_, b, _, _) -> log b))

        {
            LrMax = lrMax
            BNoise = bNoise
            Rss = rss
            AtSearchEdge = edge
            BNoiseInterval =
                if fit.Replicates.Length = 0 then
                    None
                else
                    Statistics.percentileInterval fit.Replicates.Length replicated
                    |> Option.map (fun (lo, hi) -> { ScalingFit.Low = exp lo; ScalingFit.High = exp hi })
        })

/// The power law's residual sum of squares in log lr (the fit behind k).
let powerLawRss (best: (int * float)[]) =
    let x = best |> Array.map (fst >> float >> log)
    let y = best |> Array.map (snd >> log)

    match Statistics.linearFit x y with
    | Some(a, b) -> Array.map2 (fun xi yi -> (yi - (a + b * xi)) ** 2.0) x y |> Array.sum
    | None -> nan

/// Akaike's criterion for least squares with Gaussian errors: n ln(RSS / n) + 2 p (both forms
/// have p = 2, so the difference is n ln(RSS_1 / RSS_2)). A tiny floor keeps a perfect fit finite.
let aic (n: int) (rss: float) (p: int) = float n * log (max rss 1e-12 / float n) + 2.0 * float p

/// The comparison of the two forms, at least 5 batch sizes: both AICs and which describes the
/// data (a difference under 2 cannot tell them apart; Burnham and Anderson 2002).
type Comparison = { PowerLawAic: float; SurgeAic: float; Surge: Surge; Sentence: string }

let private g (v: float) = v.ToString("G3", Globalization.CultureInfo.InvariantCulture)

/// A slope's sign where it is told apart from zero: its interval's sign when the interval
/// excludes 0, 0 when it contains 0; the point estimate's sign when there is no interval.
let private firmSign (s: Slope) =
    match s.Interval with
    | Some i when i.Low > 0.0 -> 1
    | Some i when i.High < 0.0 -> -1
    | Some _ -> 0
    | None -> sign s.Slope

/// The batch sizes where lr*(B) turns: between two slopes of opposite firm sign (slopes whose
/// sign cannot be told from zero in between are skipped), the batch size where the later one starts.
let signChanges (slopes: Slope[]) =
    slopes
    |> Array.filter (fun s -> firmSign s <> 0)
    |> Array.pairwise
    |> Array.filter (fun (a, b) -> firmSign a <> firmSign b)
    |> Array.map (fun (_, b) -> b.From)

/// The comparison, or None with fewer than 5 batch sizes (the issue's and our threshold: two
/// parameters each need spare points to be told apart).
let compare (fit: ScalingFit.Fit) : Comparison option =
    if fit.Best.Length < 5 then
        None
    else
        fitSurge fit
        |> Option.map (fun s ->
            let n = fit.Best.Length
            let power, surgeAic = aic n (powerLawRss fit.Best) 2, aic n s.Rss 2
            let bs = fit.Best |> Array.map fst
            let inside = s.BNoise > float (Array.min bs) && s.BNoise < float (Array.max bs)

            let which =
                if abs (power - surgeAic) < 2.0 then
                    $"The two forms describe the best learning rates about equally well (AIC {g power} for the power law, {g surgeAic} for the surge; a difference under 2 cannot tell them apart)"
                elif surgeAic < power then
                    $"The surge form describes the best learning rates better than one power law (AIC {g surgeAic} against {g power})"
                else
                    $"One power law describes the best learning rates better than the surge form (AIC {g power} against {g surgeAic})"

            let peak =
                let interval =
                    match s.BNoiseInterval with
                    | Some i -> $" (95%% interval {g i.Low} to {g i.High})"
                    | None -> ""

                if s.AtSearchEdge then
                    $"; the fitted surge has no peak near the batch sizes run (its best B_noise is at the end of the range searched, e^4 beyond them), so over them it is a monotone curve"
                elif inside then
                    $"; the fitted surge peaks at B_noise = {g s.BNoise}{interval}, inside the batch sizes run, where its slope changes sign"
                else
                    $"; the fitted surge's peak, B_noise = {g s.BNoise}{interval}, lies outside the batch sizes run ({Array.min bs} to {Array.max bs}), so over them it does not change sign"

            let changes = signChanges (localSlopes fit)
            let told = if fit.Replicates.Length > 0 then " (counting only slopes whose interval excludes 0)" else ""

            let local =
                if changes.Length = 0 then
                    $". The local slopes keep one sign{told}."
                else
                    $""". The local slopes change sign at B = {String.Join(", ", changes)}{told}."""

            { PowerLawAic = power; SurgeAic = surgeAic; Surge = s; Sentence = which + peak + local })
