/// Steps to a target over a grid (Shallue et al. 2019): the target a group is measured against,
/// and per batch size the fewest steps to it over learning rates. Per trial, Targets.stepsToReach.
module Lrbs.Core.Analysis.StepsToTarget

open System

/// A finished trial: its batch size, learning rate, final test metric, and per epoch (steps in
/// that epoch, test metric at its end; NaN where none was measured), in order.
type Run = { Batch: int; Lr: float; Final: float; Epochs: (int * float)[] }

/// The target, and the batch sizes where no learning rate learned anything (ascending).
type Goal = { Target: float; Idle: int[] }

/// A batch size's fewest steps to the target and the learning rate that took them.
type Fewest = { Batch: int; Lr: float; Steps: float }

/// The batch sizes that reach the target (ascending) and those that never do.
type Table = { Found: Fewest[]; Missing: int[] }

/// Rows of a grid: the runs of each batch size, ascending.
let private rows (runs: Run[]) = runs |> Array.groupBy (fun (r: Run) -> r.Batch) |> Array.sortBy fst

/// Cells of a row: the runs of each learning rate, in order of first appearance.
let private cells (row: Run[]) = row |> Array.groupBy (fun (r: Run) -> r.Lr) |> Array.map snd

let private firstMetric (r: Run) = if r.Epochs.Length = 0 then nan else snd r.Epochs[0]

/// Whether some learning rate of a row learned: the mean final metric of its repeats exceeds the
/// mean metric after their first epoch (NaN, so not, when a repeat has no epoch).
let learned (row: Run[]) =
    cells row |> Array.exists (fun c -> Statistics.mean (c |> Array.map _.Final) > Statistics.mean (c |> Array.map firstMetric))

/// A row's best final metric: the largest mean over repeats among its learning rates (NaN means
/// ignored; NaN only when every one is NaN).
let best (row: Run[]) =
    let means = cells row |> Array.map (fun c -> Statistics.mean (c |> Array.map _.Final)) |> Array.filter (Double.IsNaN >> not)
    if means.Length = 0 then nan else Array.max means

/// The target of a group: the given one, or else min over the rows that learned of their best
/// final metric, which every such batch size reaches (NaN when no row learned, or one's best is
/// NaN). A row that learned nothing would make a target every trial meets at once, so it is left
/// out and named in Idle.
let goal (target: float option) (runs: Run[]) : Goal =
    let rows = rows runs
    let idle = rows |> Array.filter (snd >> learned >> not) |> Array.map fst
    match target with
    | Some t -> { Target = t; Idle = idle }
    | None ->
        let bests = rows |> Array.filter (fun (b, _) -> not (Array.contains b idle)) |> Array.map (snd >> best)
        { Target = (if bests.Length = 0 || Array.exists Double.IsNaN bests then nan else Array.min bests); Idle = idle }

/// Per batch size: a cell's steps are the median of stepsToReach over its repeats when more than
/// half of them (2 r > n) reach the target, the median of those that do; the row's are the
/// fewest over its cells (the first such learning rate on a tie). A row with no such cell is
/// Missing. `pick` chooses each cell's repeats (id, or a bootstrap resample; called row by row,
/// cell by cell). With one repeat per cell (or every repeat reaching) the steps are monotone in
/// the target; with a repeat that stops reaching, the median of the rest can fall.
let stepsToGoal (target: float) (pick: Run[] -> Run[]) (runs: Run[]) : Table =
    let found = ResizeArray<Fewest>()
    let missing = ResizeArray<int>()
    for batch, row in rows runs do
        let perLr =
            cells row
            |> Array.map (fun cell ->
                let steps = pick cell |> Array.map (fun r -> Targets.stepsToReach target r.Epochs)
                let reached = steps |> Array.choose id |> Array.map float
                cell[0].Lr, (if reached.Length * 2 > steps.Length then Statistics.median reached else nan))
            |> Array.filter (snd >> Double.IsFinite)
        if perLr.Length = 0 then missing.Add batch
        else
            let lr, steps = perLr |> Array.minBy snd
            found.Add { Batch = batch; Lr = lr; Steps = steps }
    { Found = found.ToArray(); Missing = missing.ToArray() }

/// stepsToGoal over every repeat.
let fewestSteps (target: float) (runs: Run[]) = stepsToGoal target id runs

/// Perfect scaling from a first point (B0, S0): S0 B0 / B steps at batch size B.
let perfectScaling (first: Fewest) (b: float) = first.Steps * float first.Batch / b
