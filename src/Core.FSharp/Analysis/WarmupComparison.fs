/// A batch-size warm-up against constant batch sizes (Merrill et al. 2025, §4: their warm-up
/// trains "to slightly better loss than the original training run with 43% fewer gradient
/// steps"): per arm, the steps and the examples each seed needed to reach a common target, read
/// at the evaluation that first met it (at epoch ends: interval-censored, StepsToTarget.reach),
/// the median over seeds with the seeds' range, and whether the warm-up saved steps at no cost
/// in examples. With a handful of seeds the range is the interval: a claim holds only where the
/// ranges do not overlap.
module Lrbs.Core.Analysis.WarmupComparison

open System

/// One arm: its name, its runs (one per seed) and the training rows an epoch holds.
type Arm = { Name: string; Runs: StepsToTarget.Run[]; Rows: int }

/// An arm's reach of the target over its seeds; the numbers are over the seeds that reached it.
type Reach =
    {
        Name: string
        Seeds: int
        Reached: int
        /// Seeds that met the target at their first evaluation (their value is a bound).
        AtFirst: int
        Steps: float
        StepsLow: float
        StepsHigh: float
        Examples: float
        ExamplesLow: float
        ExamplesHigh: float
    }

/// Each seed's (steps, examples) to the target, None where it never met it.
let private seedReach (target: float) (rows: int) (r: StepsToTarget.Run) =
    match StepsToTarget.reach target r with
    | StepsToTarget.Reach.Never _ -> None
    | reach ->
        let epoch = r.Epochs |> Array.findIndex (fun (_, m) -> m >= target)
        Some(float reach.Steps, float ((epoch + 1) * rows), reach.IsFirst)

let reach (target: float) (arm: Arm) : Reach =
    let seeds = arm.Runs |> Array.choose (seedReach target arm.Rows)
    let steps = seeds |> Array.map (fun (s, _, _) -> s)
    let examples = seeds |> Array.map (fun (_, e, _) -> e)
    let range (xs: float[]) = if xs.Length = 0 then nan, nan else Array.min xs, Array.max xs

    {
        Name = arm.Name
        Seeds = arm.Runs.Length
        Reached = seeds.Length
        AtFirst = seeds |> Array.filter (fun (_, _, first) -> first) |> Array.length
        Steps = Statistics.median steps
        StepsLow = fst (range steps)
        StepsHigh = snd (range steps)
        Examples = Statistics.median examples
        ExamplesLow = fst (range examples)
        ExamplesHigh = snd (range examples)
    }

/// What the data say about the warm-up against the constant reference batch size B0: steps
/// saved (every warm-up seed under every B0 seed), and examples (more where every warm-up seed
/// needed more than every B0 seed; fewer where fewer; otherwise no difference the seeds can show).
[<RequireQualifiedAccess>]
type Verdict =
    | NotComparable of why: string
    | Compared of savedSteps: bool * stepRatio: float * examples: string

let verdict (warmup: Reach) (b0: Reach) =
    if warmup.Reached < warmup.Seeds || b0.Reached < b0.Seeds then
        Verdict.NotComparable $"not every seed reached the target ({warmup.Name}: {warmup.Reached} of {warmup.Seeds}; {b0.Name}: {b0.Reached} of {b0.Seeds})"
    elif warmup.AtFirst > 0 || b0.AtFirst > 0 then
        Verdict.NotComparable "some seed met the target at its first evaluation, where its steps are only a bound"
    else
        let examples =
            if warmup.ExamplesLow > b0.ExamplesHigh then "more"
            elif warmup.ExamplesHigh < b0.ExamplesLow then "fewer"
            else "no difference the seeds can show"

        Verdict.Compared(warmup.StepsHigh < b0.StepsLow, warmup.Steps / b0.Steps, examples)
