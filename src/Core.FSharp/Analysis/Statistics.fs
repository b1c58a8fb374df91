/// Small statistics the report needs, as pure functions.
module Lrbs.Core.Analysis.Statistics

open System
open Lrbs.Core.Engine

let mean (xs: float[]) = if xs.Length = 0 then nan else Array.average xs

/// Sample standard deviation (n - 1); 0 for one value.
let std (xs: float[]) =
    if xs.Length < 2 then
        0.0
    else
        let m = mean xs
        sqrt (Array.sumBy (fun x -> (x - m) ** 2.0) xs / float (xs.Length - 1))

let median (xs: float[]) =
    if xs.Length = 0 then
        nan
    else
        let s = Array.sort xs
        let n = s.Length
        if n % 2 = 1 then s[n / 2] else (s[n / 2 - 1] + s[n / 2]) / 2.0

/// The p-quantile (0..1) of a sample, linear between order statistics.
let quantile (p: float) (xs: float[]) =
    if xs.Length = 0 then
        nan
    else
        let s = Array.sort xs
        let h = p * float (s.Length - 1)
        let lo = int (floor h)
        let hi = min (lo + 1) (s.Length - 1)
        s[lo] + (h - float lo) * (s[hi] - s[lo])

/// Least squares y = a + b x: (intercept a, slope b); needs two distinct x.
let linearFit (xs: float[]) (ys: float[]) =
    let mx, my = mean xs, mean ys
    let sxx = Array.sumBy (fun x -> (x - mx) ** 2.0) xs

    if xs.Length < 2 || sxx = 0.0 then
        None
    else
        let b = Array.fold2 (fun acc x y -> acc + (x - mx) * (y - my)) 0.0 xs ys / sxx
        Some(my - b * mx, b)

/// `count` bootstrap replicates of anything, drawn in order from one generator seeded `seed`.
let replicates (seed: uint64) (count: int) (draw: Rng -> 'T) =
    let rng = Rng(seed)
    Array.init count (fun _ -> draw rng)

/// The 95% percentile interval of replicate values (NaN ones dropped); none when fewer than
/// half of `count` are finite.
let percentileInterval (count: int) (values: float[]) =
    let values = values |> Array.filter Double.IsFinite
    if values.Length < count / 2 then None else Some(quantile 0.025 values, quantile 0.975 values)

/// The 95% percentile interval of a statistic over bootstrap replicates (NaN replicates dropped).
let bootstrap (seed: uint64) (count: int) (statistic: Rng -> float) = percentileInterval count (replicates seed count statistic)

/// A standard normal draw (Box-Muller).
let normal (rng: Rng) =
    let u1 = max (rng.NextDouble()) 1e-300
    sqrt (-2.0 * log u1) * cos (2.0 * Math.PI * rng.NextDouble())

/// The binomial standard error of an accuracy p measured on n examples.
let binomialError (p: float) (n: int) = sqrt (p * (1.0 - p) / float n)

/// The standard error of a proportion p measured on n examples, never 0: Agresti and Coull's
/// (1998) adjusted estimate, p' = (n p + z^2/2) / (n + z^2), se = sqrt(p' (1 - p') / (n + z^2))
/// with z = 1.96. An accuracy of exactly 0 or 1 on n rows keeps an error near 1/n instead of none
/// (the plain sqrt(p (1 - p) / n) says such a cell is known exactly). The learning-rate search
/// and the report both take their noise from here.
let proportionError (p: float) (n: int) =
    if n <= 0 || Double.IsNaN p then
        nan
    else
        let z2 = 1.96 * 1.96
        let p' = (float n * Math.Clamp(p, 0.0, 1.0) + z2 / 2.0) / (float n + z2)
        sqrt (p' * (1.0 - p') / (float n + z2))

/// Holm's (1979) step-down adjustment of a family of p-values: sorted ascending, the i-th (from 1)
/// becomes max over j <= i of min(1, (m - j + 1) p_(j)); rejecting where the adjusted value is
/// below alpha keeps the chance of any false rejection in the family at most alpha. Returned in
/// the input's order.
let holm (ps: float[]) =
    let m = ps.Length
    let order = ps |> Array.mapi (fun i p -> i, p) |> Array.sortBy snd
    let adjusted = Array.zeroCreate m
    let mutable running = 0.0

    order
    |> Array.iteri (fun j (i, p) ->
        running <- max running (min 1.0 (float (m - j) * p))
        adjusted[i] <- running)

    adjusted

/// A two-sided bootstrap p-value for "the statistic is 0" from replicate values: twice the
/// smaller share of replicates on either side of 0 (at least one replicate's worth).
let bootstrapP (values: float[]) =
    let values = values |> Array.filter Double.IsFinite

    if values.Length = 0 then
        nan
    else
        let n = float values.Length
        let below = float (values |> Array.filter (fun v -> v <= 0.0) |> Array.length) / n
        let above = float (values |> Array.filter (fun v -> v >= 0.0) |> Array.length) / n
        min 1.0 (max (2.0 * min below above) (1.0 / n))
