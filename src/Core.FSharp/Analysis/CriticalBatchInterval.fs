/// The critical batch size B_crit of a grid (CriticalBatch.fit over the steps to a target,
/// StepsToTarget) as the report gives it: fitted only to batch sizes whose steps are measured (a
/// bound, reached at the first evaluation, is not a measurement), with a bootstrap interval that
/// resamples seeds jointly and says where its ends are not bounded by the data.
///
/// A seed met the target somewhere in the evaluation interval that ends where it was seen; the
/// fit reads each seed's steps at the middle of that interval and the bootstrap draws them
/// uniformly inside it, so the point estimate is the centre of the model its interval samples
/// (read at the interval's end, the point sat outside its own interval in 4 committed groups).
module Lrbs.Core.Analysis.CriticalBatchInterval

open Lrbs.Core.Analysis.StepsToTarget

/// A 95% percentile interval of B_crit. An end is open (None) where the replicates run into the
/// fit's own search range (a thousandth of the smallest, a thousand times the largest batch
/// size): the data do not bound it there. OverSeeds: seeds were resampled (else batch sizes).
type Interval = { Low: float option; High: float option; OverSeeds: bool }

/// A seed's steps at the middle of the evaluation interval where it met the target; the end of
/// that interval where it was met at the first evaluation or never (those are bounds, not fitted).
let middle (r: Reach) =
    match r with
    | Reach.Between(lower, steps) -> (float lower + float steps) / 2.0
    | other -> float other.Steps

/// Per batch size, the fewest steps to `target` with each seed read at `middle`.
let measured (target: float) (runs: Run[]) = (stepsToGoalAt target id middle runs).Found

let private fitFound (found: Fewest[]) = CriticalBatch.fit (found |> Array.filter (fun f -> f.Exact) |> Array.map (fun f -> float f.Batch, f.Steps))

/// CriticalBatch.fit through the measured (batch size, fewest steps) points, each seed read at
/// `middle`.
let fit (target: float) (runs: Run[]) = fitFound (measured target runs)

/// Whether the grid has two or more seeds.
let overSeeds (runs: Run[]) = (runs |> Array.map (fun r -> r.Seed) |> Array.distinct).Length > 1

/// The 300 bootstrap replicates of B_crit (seed 11), with the search range's ends where the data
/// do not bound a replicate, and the range itself (lowest, highest); None when the points
/// themselves give no fit. With two or more seeds, the seeds are drawn with replacement and the
/// same draw serves every cell (a seed that was quick everywhere stays quick everywhere), and each
/// seed's steps are drawn uniformly inside its evaluation interval (the target was met somewhere
/// between two evaluations: the interval holds the measurement's resolution too); otherwise the
/// measured points are drawn with replacement. A replicate with fewer than 3 measured batch
/// sizes has no fit (NaN).
let replicates (target: float) (runs: Run[]) : (float[] * float * float) option =
    let found = measured target runs

    if (fitFound found).IsNone then
        None
    else
        let seeds = runs |> Array.map (fun r -> r.Seed) |> Array.distinct |> Array.sort
        let points = found |> Array.filter (fun f -> f.Exact)
        let batches = found |> Array.map (fun f -> float f.Batch)
        let lowest, highest = Array.min batches / 1000.0, Array.max batches * 1000.0

        let replicate (rng: Lrbs.Core.Engine.Rng) =
            let drawn =
                if seeds.Length > 1 then
                    let picked = Array.init seeds.Length (fun _ -> seeds[rng.NextInt seeds.Length])
                    let pick (cell: Run[]) = picked |> Array.choose (fun s -> cell |> Array.tryFind (fun r -> r.Seed = s))

                    let inside (r: Reach) =
                        match r with
                        | Reach.Between(lower, steps) -> float steps - rng.NextDouble() * float (steps - lower)
                        | other -> float other.Steps

                    (stepsToGoalAt target pick inside runs).Found
                else
                    Array.init points.Length (fun _ -> points[rng.NextInt points.Length])
            // a replicate that ran into its own search range (which a resample lacking the
            // largest or smallest batch size narrows) is unbounded there: it counts as the
            // grid's range, so an open end is reported open, never as a number like 128000
            let drawnBatches = drawn |> Array.filter (fun f -> f.Exact) |> Array.map (fun f -> float f.Batch)

            match fitFound drawn with
            | Some p when p.BCrit >= Array.max drawnBatches * 1000.0 / 1.5 -> highest
            | Some p when p.BCrit <= Array.min drawnBatches / 1000.0 * 1.5 -> lowest
            | Some p -> p.BCrit
            | None -> nan

        Some(Statistics.replicates 11UL 300 replicate, lowest, highest)

/// B_crit's 95% percentile interval over its `replicates`; an end is open where the replicates
/// run into the search range there.
let bootstrap (target: float) (runs: Run[]) : Interval option =
    replicates target runs
    |> Option.bind (fun (values, lowest, highest) ->
        Statistics.percentileInterval 300 values
        |> Option.map (fun (lo, hi) ->
            {
                Low = (if lo <= lowest * 1.5 then None else Some lo)
                High = (if hi >= highest / 1.5 then None else Some hi)
                OverSeeds = overSeeds runs
            }))
