/// The critical batch size from a finished grid (McCandlish et al. 2018): the steps S and
/// examples E = B S needed to reach a target lie on (S/Smin - 1)(E/Emin - 1) = 1, that is
/// S(B) = Smin (1 + Bcrit/B) with Bcrit = Emin/Smin. Below Bcrit doubling the batch nearly
/// halves the steps; above it, it nearly doubles the examples.
module Lrbs.Core.Analysis.CriticalBatch

open System

/// The fitted curve.
type Pareto =
    {
        SMin: float
        BCrit: float
    }

    member p.EMin = p.SMin * p.BCrit
    member p.Steps(b: float) = p.SMin * (1.0 + p.BCrit / b)

/// Least squares in log steps: for each Bcrit on a fine log grid the best Smin is closed-form,
/// then golden-section refinement around the best grid point. Needs 3 or more batch sizes.
let fit (points: (float * float)[]) : Pareto option =
    let points = points |> Array.filter (fun (b, s) -> b > 0.0 && s > 0.0 && Double.IsFinite s)

    if (points |> Array.map fst |> Array.distinct).Length < 3 then
        None
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

/// The overhead Zhang et al. use by default: 20% more steps than linear scaling.
let defaultOverhead = 0.2

/// The critical batch size of Zhang et al. (ICLR 2025, "How Does Critical Batch Size Scale in
/// Pre-training?", arXiv 2410.21676, §3.1): "the batch size that leads to a 20% overhead
/// compared to linear scaling", where "20% can be replaced by any other suitable measure of
/// increase from linear scaling" (`overhead`). Linear scaling is the ideal S*(B) = S(A) A / B
/// from an anchor batch size A in the linear regime (their B_opt, 256 for every model size; here
/// the caller's, lrbs's report takes the smallest batch size with measured steps). Their code
/// fits the steps to the target as a + b B^-alpha with alpha = 1, in log steps: the curve `fit`
/// above, with a = S_min and b = S_min B_crit. The batch size B* where S(B*) = (1 + o) S*(B*)
/// solves a B + b = (1 + o)(a A + b), so B* = (1 + o) A + o B_crit; S(B)/S*(B) grows with B, so
/// every batch size below B* costs less than the overhead and every one above costs more.
/// (Their code: `b - 5*a*cbs + 5*a*1.2*256 = 0`, the same with o = 0.2, A = 256.)
let overheadBatch (overhead: float) (anchor: float) (p: Pareto) = (1.0 + overhead) * anchor + overhead * p.BCrit

/// How far the anchor itself is from linear scaling on the fitted curve: its examples to the
/// target over E_min, minus 1 (= A / B_crit). Zhang et al.'s ideal assumes this is small.
let anchorExcess (anchor: float) (p: Pareto) = anchor / p.BCrit
