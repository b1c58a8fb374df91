/// Steps to a target over a grid (Shallue et al. 2019): the target a group is measured against,
/// and per batch size the fewest steps to it over learning rates, with what the measurement can
/// and cannot say. A trial's test metric is known only where it was evaluated (here: at each
/// epoch's end), so "reached the target at step S" means "somewhere in the evaluation interval
/// that ends at S": a target met at the first evaluation is interval-censored in (0, S], and a
/// trial that never meets it is right-censored at its last step. Per trial, Targets.stepsToReach.
module Lrbs.Core.Analysis.StepsToTarget

open System

/// A finished trial: its batch size, learning rate, seed, final test metric, and per epoch (steps
/// in that epoch, test metric at its end; NaN where none was measured), in order.
type Run =
    {
        Batch: int
        Lr: float
        Seed: int
        Final: float
        Epochs: (int * float)[]
    }

    /// The metric at each evaluation, in order.
    member r.Metrics = r.Epochs |> Array.map snd

/// When one trial met the target, as far as its evaluations tell.
[<RequireQualifiedAccess>]
type Reach =
    /// Between the evaluation before (Lower steps, exclusive) and this one (Steps).
    | Between of lower: int * steps: int
    /// At the first evaluation: somewhere in (0, Steps].
    | First of steps: int
    /// Not within the trial's Steps.
    | Never of steps: int

    member r.Steps =
        match r with
        | Between(_, s)
        | First s
        | Never s -> s

/// A trial's reach of the target (each seed is its own measurement): the first evaluation at or
/// above it, and the steps of the evaluation before.
let reach (target: float) (r: Run) =
    let ends = r.Epochs |> Array.scan (fun acc (n, _) -> acc + n) 0 |> Array.tail

    match r.Epochs |> Array.tryFindIndex (fun (_, m) -> m >= target) with
    | Some 0 -> Reach.First ends[0]
    | Some i -> Reach.Between(ends[i - 1], ends[i])
    | None -> Reach.Never(if ends.Length = 0 then 0 else ends[ends.Length - 1])

/// A learning rate's (a cell's) steps: the median over its seeds when every seed reached the
/// target after its first evaluation (Exact); at most the median when every seed reached it and
/// some at their first evaluation (AtMost: interval-censored); Censored when a seed never did
/// (the cell is not counted as reaching the target, and not dropped in silence: it is named).
[<RequireQualifiedAccess>]
type CellSteps =
    | Exact of steps: float
    | AtMost of steps: float
    | Censored of reached: int * seeds: int

/// A batch size's fewest steps over its learning rates, and whether that value is exact or only
/// a bound; the cells whose seeds did not all reach it.
type Fewest = { Batch: int; Lr: float; Steps: float; Exact: bool }

/// The batch sizes whose best cell reached the target (ascending) and those where no cell did.
type Table = { Found: Fewest[]; Missing: int[] }

/// The target and how it was chosen, or why there is none.
type Goal =
    {
        Target: float
        /// Batch sizes where no learning rate learned anything (left out of the default target).
        Idle: int[]
        /// The target is at or below the chance level of the group's trials (no evidence of learning).
        AtChance: bool
    }

/// Rows of a grid: the runs of each batch size, ascending.
let private rows (runs: Run[]) = runs |> Array.groupBy (fun (r: Run) -> r.Batch) |> Array.sortBy fst

/// Cells of a row: the runs of each learning rate, in order of first appearance.
let private cells (row: Run[]) = row |> Array.groupBy (fun (r: Run) -> r.Lr) |> Array.map snd

let private firstMetric (r: Run) = if r.Epochs.Length = 0 then nan else snd r.Epochs[0]

/// Whether some learning rate of a row learned: the mean final metric of its repeats exceeds the
/// mean metric after their first epoch (NaN, so not, when a repeat has no epoch).
let learned (row: Run[]) =
    cells row
    |> Array.exists (fun c -> Statistics.mean (c |> Array.map _.Final) > Statistics.mean (c |> Array.map firstMetric))

/// The one target rule: the highest value that every seed of some learning rate reaches at every
/// batch size that learned, i.e. the lowest, over those batch sizes, of the best learning rate's
/// worst seed (the cell whose worst seed's final metric is highest). Every batch size then has a
/// cell all of whose seeds reach it, with one seed or many. A given target is taken as it is. A
/// target at or below `chance` (the group's highest chance threshold, NaN when unknown) measures
/// nothing and is flagged.
let goal (target: float option) (chance: float) (runs: Run[]) : Goal =
    let rows = rows runs
    let idle = rows |> Array.filter (snd >> learned >> not) |> Array.map fst

    let t =
        match target with
        | Some t -> t
        | None ->
            let floors =
                rows
                |> Array.filter (fun (b, _) -> not (Array.contains b idle))
                |> Array.map (fun (_, row) -> cells row |> Array.map (fun c -> c |> Array.map _.Final |> Array.min) |> Array.max)

            if floors.Length = 0 || Array.exists Double.IsNaN floors then nan else Array.min floors

    { Target = t; Idle = idle; AtChance = Double.IsFinite t && Double.IsFinite chance && t <= chance }

/// A cell's steps (CellSteps) from its seeds' reaches, each seed's steps read by `at` (the end
/// of its evaluation interval, or a draw inside it).
let cellStepsAt (at: Reach -> float) (reaches: Reach[]) =
    let reached =
        reaches
        |> Array.filter (function
            | Reach.Never _ -> false
            | _ -> true)

    if reached.Length < reaches.Length then
        CellSteps.Censored(reached.Length, reaches.Length)
    else
        let median = Statistics.median (reaches |> Array.map at)

        if
            reaches
            |> Array.exists (function
                | Reach.First _ -> true
                | _ -> false)
        then
            CellSteps.AtMost median
        else
            CellSteps.Exact median

/// A cell's steps, each seed's at the end of the evaluation interval where it met the target.
let cellSteps (reaches: Reach[]) = cellStepsAt (fun r -> float r.Steps) reaches

/// Per batch size, the fewest steps over the cells whose every seed reached the target (`pick`
/// chooses the seeds: id, or a bootstrap resample; `at` reads each seed's steps); a bound (AtMost)
/// wins only where it is the fewest. A row with no such cell is Missing.
let stepsToGoalAt (target: float) (pick: Run[] -> Run[]) (at: Reach -> float) (runs: Run[]) : Table =
    let found = ResizeArray<Fewest>()
    let missing = ResizeArray<int>()

    for batch, row in rows runs do
        let perLr =
            cells row
            |> Array.choose (fun cell ->
                match cellStepsAt at (pick cell |> Array.map (reach target)) with
                | CellSteps.Exact s -> Some(cell[0].Lr, s, true)
                | CellSteps.AtMost s -> Some(cell[0].Lr, s, false)
                | CellSteps.Censored _ -> None)

        if perLr.Length = 0 then
            missing.Add batch
        else
            let lr, steps, exact = perLr |> Array.minBy (fun (_, s, _) -> s)
            found.Add { Batch = batch; Lr = lr; Steps = steps; Exact = exact }

    { Found = found.ToArray(); Missing = missing.ToArray() }

/// stepsToGoalAt with each seed's steps at the end of its evaluation interval.
let stepsToGoal (target: float) (pick: Run[] -> Run[]) (runs: Run[]) = stepsToGoalAt target pick (fun r -> float r.Steps) runs

/// stepsToGoal over every seed.
let fewestSteps (target: float) (runs: Run[]) = stepsToGoal target id runs

/// A cell (batch size, learning rate) some of whose seeds did not reach the target.
type CensoredCell = { Batch: int; Lr: float; Reached: int; Seeds: int }

/// The cells that did not all reach the target.
let censoredCells (target: float) (runs: Run[]) : CensoredCell[] =
    [|
        for batch, row in rows runs do
            for cell in cells row do
                match cellSteps (cell |> Array.map (reach target)) with
                | CellSteps.Censored(k, n) -> yield { Batch = batch; Lr = cell[0].Lr; Reached = k; Seeds = n }
                | _ -> ()
    |]

/// Perfect scaling from a first point (B0, S0): S0 B0 / B steps at batch size B.
let perfectScaling (first: Fewest) (b: float) = first.Steps * float first.Batch / b
