/// Evaluation metrics as pure functions over predictions copied out of the engine.
module Lrbs.Core.Losses.Metrics

/// Index of the largest value in row i of a (rows x cols) row-major array (first on ties).
let argmaxRow (values: float32[]) (cols: int) (i: int) =
    let mutable best = 0

    for j in 1 .. cols - 1 do
        if values[i * cols + j] > values[i * cols + best] then
            best <- j

    best

/// Precision, recall, F1 and support of one binary label.
type LabelReport = { Precision: float; Recall: float; F1: float; Support: int }

/// Per-label reports from decisions (n x labels, row-major) and the fraction of examples with
/// every label right (0/0 precision or recall is reported as 0, like scikit-learn).
let labelReports (predicted: bool[]) (actual: bool[]) (labels: int) =
    let n = if labels = 0 then 0 else actual.Length / labels

    let reports =
        Array.init labels (fun j ->
            let mutable tp, fp, fn = 0, 0, 0

            for i in 0 .. n - 1 do
                match predicted[i * labels + j], actual[i * labels + j] with
                | true, true -> tp <- tp + 1
                | true, false -> fp <- fp + 1
                | false, true -> fn <- fn + 1
                | false, false -> ()

            let ratio a b = if b = 0 then 0.0 else float a / float b
            let p, r = ratio tp (tp + fp), ratio tp (tp + fn)
            { Precision = p; Recall = r; F1 = (if p + r = 0.0 then 0.0 else 2.0 * p * r / (p + r)); Support = tp + fn })

    let exact =
        if n = 0 then
            nan
        else
            let allRight i = Seq.forall (fun j -> predicted[i * labels + j] = actual[i * labels + j]) (seq { 0 .. labels - 1 })
            float (Seq.filter allRight (seq { 0 .. n - 1 }) |> Seq.length) / float n

    reports, exact

/// Multi-label outputs: sigmoid probabilities and 0/1 truths (n x labels), thresholded at 0.5.
let multiLabel (probs: float32[]) (truth: float32[]) (labels: int) =
    labelReports (probs |> Array.map (fun p -> p > 0.5f)) (truth |> Array.map (fun t -> t > 0.5f)) labels

/// Single-label classes (predicted and true class per example): one-vs-rest reports per class;
/// the fraction with every label right is then the accuracy.
let classReports (predicted: int[]) (truth: int[]) (classes: int) =
    let oneHot (c: int[]) = Array.init (c.Length * classes) (fun k -> c[k / classes] = k % classes)
    labelReports (oneHot predicted) (oneHot truth) classes

/// IoU of two (x1, y1, x2, y2) boxes, negative widths counted as 0.
let boxIoU (p: float32[]) (t: float32[]) =
    let w = max 0.0f (min p[2] t[2] - max p[0] t[0])
    let h = max 0.0f (min p[3] t[3] - max p[1] t[1])
    let inter = float (w * h)
    let area (b: float32[]) = float (max 0.0f (b[2] - b[0]) * max 0.0f (b[3] - b[1]))
    inter / (area p + area t - inter + 1e-7)
