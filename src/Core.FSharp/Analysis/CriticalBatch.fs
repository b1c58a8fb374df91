/// The critical batch size from a finished grid (McCandlish et al. 2018): the steps S and
/// examples E = B S needed to reach a target lie on (S/Smin - 1)(E/Emin - 1) = 1, that is
/// S(B) = Smin (1 + Bcrit/B) with Bcrit = Emin/Smin. Below Bcrit doubling the batch nearly
/// halves the steps; above it, it nearly doubles the examples.
module Lrbs.Core.Analysis.CriticalBatch

open System

/// The fitted curve.
type Pareto = { SMin: float; BCrit: float } with
    member p.EMin = p.SMin * p.BCrit
    member p.Steps(b: float) = p.SMin * (1.0 + p.BCrit / b)

/// Least squares in log steps: for each Bcrit on a fine log grid the best Smin is closed-form,
/// then golden-section refinement around the best grid point. Needs 3 or more batch sizes.
let fit (points: (float * float)[]) : Pareto option =
    let points = points |> Array.filter (fun (b, s) -> b > 0.0 && s > 0.0 && Double.IsFinite s)
    if (points |> Array.map fst |> Array.distinct).Length < 3 then None
    else
        let logS = points |> Array.map (snd >> log)
        let smin (bc: float) = exp (Array.average (Array.map2 (fun (b, _) ls -> ls - log (1.0 + bc / b)) points logS))
        let sse (logBc: float) =
            let bc = exp logBc
            let s = smin bc
            Array.fold2 (fun acc (b, _) ls -> acc + (ls - log (s * (1.0 + bc / b))) ** 2.0) 0.0 points logS
        let bs = points |> Array.map fst
        let lo, hi = log (Array.min bs / 1000.0), log (Array.max bs * 1000.0)
        let grid = [| for i in 0..4000 -> lo + (hi - lo) * float i / 4000.0 |]
        let i = grid |> Array.minBy sse |> fun g -> Array.IndexOf(grid, g)
        let mutable a, c = grid[max 0 (i - 1)], grid[min (grid.Length - 1) (i + 1)]
        let phi = (sqrt 5.0 - 1.0) / 2.0
        for _ in 1..100 do
            let x1, x2 = c - phi * (c - a), a + phi * (c - a)
            if sse x1 < sse x2 then c <- x2 else a <- x1
        let bc = exp ((a + c) / 2.0)
        Some { SMin = smin bc; BCrit = bc }
