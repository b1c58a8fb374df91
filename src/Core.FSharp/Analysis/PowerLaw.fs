/// Power laws y = e^a x^b fitted as straight lines on log-log axes: the report's timing slopes,
/// the dashed lr ∝ B^k line of the heat map, and the log-spaced points a fitted curve is drawn at.
module Lrbs.Core.Analysis.PowerLaw

/// log y = Intercept + Slope log x.
type Line =
    {
        Intercept: float
        Slope: float
    }

    /// y at x: exp (Intercept + Slope log x).
    member l.At(x: float) = exp (l.Intercept + l.Slope * log x)

/// Least squares of log y on log x (Statistics.linearFit); none without two distinct x.
let fit (xs: float[]) (ys: float[]) : Line option =
    Statistics.linearFit (Array.map log xs) (Array.map log ys) |> Option.map (fun (a, b) -> { Intercept = a; Slope = b })

/// n points from lo to hi (both included) with a constant ratio: lo (hi/lo)^(k/(n-1)), k = 0..n-1.
let logSpaced (lo: float) (hi: float) (n: int) = [| for k in 0 .. n - 1 -> lo * (hi / lo) ** (float k / float (n - 1)) |]
