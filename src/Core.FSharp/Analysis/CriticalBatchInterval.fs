/// The bootstrap interval of the grid's critical batch size B_crit (CriticalBatch.fit over the
/// steps to a target, StepsToTarget), as the report gives it.
module Lrbs.Core.Analysis.CriticalBatchInterval

open Lrbs.Core.Analysis.StepsToTarget

/// A 95% percentile interval of B_crit, and whether it resampled repeats (else batch sizes).
type Interval = { Low: float; High: float; OverRepeats: bool }

/// CriticalBatch.fit through the (batch size, fewest steps) points.
let fit (found: Fewest[]) = CriticalBatch.fit (found |> Array.map (fun f -> float f.Batch, f.Steps))

/// Whether every (batch size, learning rate) cell has two or more repeats.
let overRepeats (runs: Run[]) = runs |> Array.countBy (fun r -> r.Batch, r.Lr) |> Array.forall (fun (_, n) -> n > 1)

/// 300 replicates (seed 11) of B_crit. Over repeats when every cell has some: each cell's repeats
/// drawn with replacement and the fewest steps recomputed; otherwise (a partial sweep) the found
/// points drawn with replacement. A replicate with under 3 batch sizes has no fit and is dropped.
/// None when the found points themselves give no fit, or most replicates fail.
let bootstrap (target: float) (runs: Run[]) (found: Fewest[]) : Interval option =
    if (fit found).IsNone then None
    else
        let repeats = overRepeats runs
        let replicate (rng: Lrbs.Core.Engine.Rng) =
            let points =
                if repeats then (stepsToGoal target (fun cell -> cell |> Array.map (fun _ -> cell[rng.NextInt cell.Length])) runs).Found
                else found |> Array.map (fun _ -> found[rng.NextInt found.Length])
            match fit points with
            | Some p -> p.BCrit
            | None -> nan
        Statistics.bootstrap 11UL 300 replicate |> Option.map (fun (lo, hi) -> { Low = lo; High = hi; OverRepeats = repeats })
