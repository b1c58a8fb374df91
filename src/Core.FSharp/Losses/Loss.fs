namespace Lrbs.Core.Losses

open Lrbs.Core.Engine
open Lrbs.Core.Models

/// The training losses. All return the batch mean as a scalar tensor.
[<RequireQualifiedAccess>]
type Loss =
    /// Keras categorical cross-entropy on softmax probabilities: p is renormalised,
    /// clipped to [1e-7, 1 - 1e-7], then -sum(y log p) (tf.keras / TF.js form).
    | CrossEntropy
    /// Cross-entropy from the logits (log-softmax of the pre-activation); no clipping.
    | CrossEntropyLogits
    /// Keras binary cross-entropy on sigmoid outputs: p clipped to [1e-7, 1 - 1e-7], then
    /// -(y log(p + 1e-7) + (1 - y) log(1 - p + 1e-7)), mean over labels.
    | BinaryCrossEntropy
    /// 1 - IoU of (x1, y1, x2, y2) boxes, negative widths counted as 0.
    | OneMinusIoU

module Loss =
    /// Keras's backend epsilon.
    [<Literal>]
    let Epsilon = 1e-7

    let name =
        function
        | Loss.CrossEntropy -> "categorical_crossentropy"
        | Loss.CrossEntropyLogits -> "categorical_crossentropy_logits"
        | Loss.BinaryCrossEntropy -> "binary_crossentropy"
        | Loss.OneMinusIoU -> "one_minus_iou"

    /// Per-example IoU of predicted and true boxes (N, 4) -> (N).
    let iou (pred: Tensor) (truth: Tensor) =
        let col i (t: Tensor) = T.columns i 1 t
        let px1, py1, px2, py2 = col 0 pred, col 1 pred, col 2 pred, col 3 pred
        let tx1, ty1, tx2, ty2 = col 0 truth, col 1 truth, col 2 truth, col 3 truth
        let iw = T.minimum px2 tx2 - T.maximum px1 tx1 |> T.clamp 0.0 infinity
        let ih = T.minimum py2 ty2 - T.maximum py1 ty1 |> T.clamp 0.0 infinity
        let inter = iw * ih
        let area (x1: Tensor) y1 (x2: Tensor) y2 = T.clamp 0.0 infinity (x2 - x1) * T.clamp 0.0 infinity (y2 - y1)
        let union = area px1 py1 px2 py2 + area tx1 ty1 tx2 ty2 - inter
        inter / (union + Epsilon) |> T.reshape [| -1L |]

    /// The loss of a forward output against targets: class ids (int64, N) for the
    /// cross-entropies, float (N, k) for binary and box targets.
    let compute (loss: Loss) (out: ForwardOutput) (targets: Tensor) =
        match loss with
        | Loss.CrossEntropy ->
            let p = out.Output
            let classes = int p.Shape[1]
            let y = T.oneHot classes targets
            let p = p / T.sumDimKeep 1 p |> T.clamp Epsilon (1.0 - Epsilon)
            -(T.sumDim 1 (y * T.log p)) |> T.mean
        | Loss.CrossEntropyLogits ->
            let z = out.PreActivation
            let y = T.oneHot (int z.Shape[1]) targets
            -(T.sumDim 1 (y * T.logSoftmax 1 z)) |> T.mean
        | Loss.BinaryCrossEntropy ->
            let p = T.clamp Epsilon (1.0 - Epsilon) out.Output
            let y = targets
            let one = T.scalar 1.0
            let bce = y * T.log (p + Epsilon) + (one - y) * T.log ((one - p) + Epsilon)
            -(T.meanDim 1 bce) |> T.mean
        | Loss.OneMinusIoU ->
            let one = T.scalar 1.0
            one - iou out.Output targets |> T.mean
