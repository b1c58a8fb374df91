/// A batch-size warm-up built from a measured critical batch size over training (Merrill,
/// Arora, Groeneveld and Hajishirzi 2025, "Critical Batch Size Revisited", arXiv 2505.23971,
/// §4: "start the batch size small and increase it as the CBS grows"). For each epoch e of the run
/// (it starts t = e - 1 epochs in), the batch size is the largest of the branch grid's batch
/// sizes not above CBS at the latest measured point t_k <= e - 1, capped by a maximum and never
/// below the reference batch size B0 (before the first point: B0); the learning rate follows
/// the chosen rule from B0's. The schedule changes at epoch ends (Schedule.BatchPoints), as the
/// grow-batch schedule does.
module Lrbs.Core.Planning.BatchWarmup

open Lrbs.Core.Schedules

/// The batch size of each epoch 1..epochs from CBS(t) points (t in epochs, CBS), as above.
let batches (cbs: (float * float) list) (grid: int list) (b0: int) (maxBatch: int) (epochs: int) : int list =
    let points = cbs |> List.sortBy fst

    [
        for e in 1..epochs ->
            match points |> List.filter (fun (t, _) -> t <= float (e - 1)) |> List.tryLast with
            | None -> b0
            | Some(_, c) ->
                let fits = grid |> List.filter (fun b -> float b <= c && b <= maxBatch)
                if fits.IsEmpty then b0 else max b0 (List.max fits)
    ]

/// The warm-up as a schedule of points (only where the batch size changes, from epoch 2 on),
/// each at the rule's learning rate from `lr0` at B0; or why there is none (a rule that also
/// sets the optimizer's other settings, a maximum below B0, a CBS(t) that never lets the batch
/// grow).
let schedule
    (cbs: (float * float) list)
    (grid: int list)
    (b0: int)
    (maxBatch: int)
    (lr0: float)
    (rule: ScalingRule option)
    (epochs: int)
    : Result<Schedule, string> =
    match rule with
    | Some r when not (LrScaling.optimizerKeys r).IsEmpty ->
        let keys = String.concat ", " (LrScaling.optimizerKeys r)
        Error $"the rule {LrScaling.ruleName r} also sets the optimizer's {keys}; a warm-up of points sets only the learning rate: use none, linear or sqrt"
    | _ when maxBatch < b0 -> Error $"the maximum batch size {maxBatch} is below the reference batch size {b0}"
    | _ ->
        let lrOf (b: int) =
            match rule with
            | None -> lr0
            | Some r -> LrScaling.scaled { Rule = r; BaseBatch = b0; WarmupEpochs = 0 } lr0 b

        let changes =
            batches cbs grid b0 maxBatch epochs
            |> List.indexed
            |> List.pairwise
            |> List.choose (fun ((_, a), (i, b)) -> if a <> b then Some(i + 1, b, lrOf b) else None)

        if changes.IsEmpty then
            Error $"CBS(t) never reaches a grid batch size above {b0} within {epochs} epochs: the warm-up would be the constant batch size {b0}"
        else
            Schedule.validate (Schedule.BatchPoints changes)
