/// A trial that ended without having learned: its final test metric no better than a constant
/// prediction's (the chance level of its test rows), or its training loss ending above where it
/// started. Such a trial "finished" (ok or stopped early) but is a failure as a result: the trial
/// row says so (`collapsed`), the report lists it with the failures and fits score it as they
/// score a diverged one.
module Lrbs.Core.Training.Collapse

open System
open Lrbs.Core.Data

/// The test metric of the best constant prediction on `test` (every row it evaluates):
///  - classes (accuracy): the share of the most frequent class;
///  - attributes (exact match): the share of rows whose every attribute equals that attribute's
///    most frequent value;
///  - boxes (exact IoU): the mean exact IoU of the mean box with every box.
/// NaN for an empty partition.
let chance (test: Dataset) : float =
    if test.Count = 0 then
        nan
    else
        match test.Targets with
        | Targets.Classes(labels, _) -> float (labels |> Array.countBy id |> Array.map snd |> Array.max) / float labels.Length
        | Targets.MultiLabel(values, names) ->
            let k = names.Length
            let n = values.Length / k

            let majority =
                Array.init k (fun j -> if 2 * (Seq.init n (fun i -> values[i * k + j]) |> Seq.filter (fun v -> v > 0.5f) |> Seq.length) > n then 1.0f else 0.0f)

            let right =
                Seq.init n (fun i -> Seq.forall (fun j -> (values[i * k + j] > 0.5f) = (majority[j] > 0.5f)) (seq { 0 .. k - 1 }))
                |> Seq.filter id
                |> Seq.length

            float right / float n
        | Targets.Boxes values ->
            let n = values.Length / 4
            let mean = Array.init 4 (fun j -> Seq.init n (fun i -> float values[i * 4 + j]) |> Seq.average |> float32)
            Seq.init n (fun i -> Lrbs.Core.Losses.Metrics.boxIoU mean values[i * 4 .. i * 4 + 3]) |> Seq.average

/// The highest metric that still counts as chance: the chance level plus two standard errors of
/// a mean of `rows` values in [0, 1] whose mean is the chance level (sqrt(c (1 - c) / n), the
/// binomial error of a proportion; no mean of values in [0, 1] with that mean varies more).
let threshold (chance: float) (rows: int) = if Double.IsNaN chance || rows <= 0 then nan else chance + 2.0 * sqrt (chance * (1.0 - chance) / float rows)

/// Whether a finished trial collapsed: its final test metric is at or below `threshold chance
/// rows`, or (with two epochs or more) its last epoch's mean training loss is above its first
/// epoch's. With the chance level unknown (NaN) only the loss can tell, and a trial it does not
/// condemn is not known: None. A trial that did not finish (diverged, failed) is not a collapse:
/// Some false.
let collapsed (finished: bool) (testMetric: float) (chance: float) (rows: int) (losses: float[]) : bool option =
    let rose =
        losses.Length >= 2
        && Double.IsFinite losses[0]
        && Double.IsFinite losses[losses.Length - 1]
        && losses[losses.Length - 1] > losses[0]

    if not finished then
        Some false
    elif not (Double.IsNaN chance) && (not (Double.IsFinite testMetric) || testMetric <= threshold chance rows) then
        Some true
    elif rose then
        Some true
    elif Double.IsNaN chance then
        None
    else
        Some false
