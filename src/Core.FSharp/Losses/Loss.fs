namespace Lrbs.Core.Losses

/// How a cross-entropy meets the softmax or sigmoid output of the last layer.
[<RequireQualifiedAccess>]
type LossForm =
    /// From the logits: tf.keras 2.x and Keras 3 on TensorFlow cache the logits on the output
    /// of softmax and sigmoid (`_keras_logits`) and the loss uses them, with no clipping. The
    /// studies ran TensorFlow in Python, so this is the default.
    | Logits
    /// From probabilities clipped to [1e-7, 1 - 1e-7], as TensorFlow.js computes it (and Keras
    /// when no logits are at hand).
    | Clipped

/// How 1 - IoU is computed for box regression (both report the exact IoU as their metric).
[<RequireQualifiedAccess>]
type IouForm =
    /// The IoU loss widely copied for Keras box regression, which S7's study used: + 1 on every
    /// width and height (a pixel convention) even on coordinates in [0, 1], the overlap not
    /// clamped, the IoU clipped to [1e-7, 1 - 1e-7]. It has a gradient where boxes do not
    /// overlap, so training does not die there (docs/studies.md has the evidence).
    | KerasPlusOne
    /// The exact IoU: widths and heights clamped at 0; no gradient where boxes do not overlap.
    | Exact

/// The training losses (their maths and gradients: src/Native/net/loss.cpp).
[<RequireQualifiedAccess>]
type Loss =
    /// Categorical cross-entropy on a softmax output, mean over the batch.
    | CrossEntropy of LossForm
    /// Binary cross-entropy on sigmoid outputs, mean over labels and batch.
    | BinaryCrossEntropy of LossForm
    /// 1 - IoU of (x1, y1, x2, y2) boxes, in one of its forms.
    | OneMinusIoU of IouForm
    /// Keras mean_squared_error on linear outputs: mean over outputs of (a - y)^2. No dataset
    /// trains on it; the tests use it where a closed form is known (linear regression's gradient
    /// noise scale, max-pooling read through an identity layer).
    | MeanSquaredError

module LossForm =
    let names = [ "logits"; "clipped" ]

    let name =
        function
        | LossForm.Logits -> "logits"
        | LossForm.Clipped -> "clipped"

    let parse (text: string) =
        match text with
        | "logits" -> Ok LossForm.Logits
        | "clipped" -> Ok LossForm.Clipped
        | other -> Error $"""unknown cross-entropy form '{other}'{Lrbs.Core.Suggest.hint other names}; allowed: {String.concat ", " names}"""

module IouForm =
    let names = [ "keras-plus-one"; "exact" ]

    let name =
        function
        | IouForm.KerasPlusOne -> "keras-plus-one"
        | IouForm.Exact -> "exact"

    let parse (text: string) =
        match text with
        | "keras-plus-one" -> Ok IouForm.KerasPlusOne
        | "exact" -> Ok IouForm.Exact
        | other -> Error $"""unknown 1 - IoU form '{other}'; allowed: {String.concat ", " names}"""

module Loss =
    /// The name in the engine's registry and in parity case files (reference/CASES.md).
    let name =
        function
        | Loss.CrossEntropy LossForm.Logits -> "categorical_crossentropy_logits"
        | Loss.CrossEntropy LossForm.Clipped -> "categorical_crossentropy"
        | Loss.BinaryCrossEntropy LossForm.Logits -> "binary_crossentropy_logits"
        | Loss.BinaryCrossEntropy LossForm.Clipped -> "binary_crossentropy"
        | Loss.OneMinusIoU IouForm.Exact -> "one_minus_iou"
        | Loss.OneMinusIoU IouForm.KerasPlusOne -> "one_minus_iou_plus_one"
        | Loss.MeanSquaredError -> "mean_squared_error"

    /// Every loss; the engine registers each under its name (src/Native/net/loss.cpp), checked at load.
    let all =
        [
            Loss.CrossEntropy LossForm.Logits
            Loss.CrossEntropy LossForm.Clipped
            Loss.BinaryCrossEntropy LossForm.Logits
            Loss.BinaryCrossEntropy LossForm.Clipped
            Loss.OneMinusIoU IouForm.Exact
            Loss.OneMinusIoU IouForm.KerasPlusOne
            Loss.MeanSquaredError
        ]
