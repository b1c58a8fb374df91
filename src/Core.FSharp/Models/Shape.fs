namespace Lrbs.Core.Models

/// The shape of one example flowing between layers.
[<RequireQualifiedAccess>]
type Shape =
    | Vector of features: int
    | Image of channels: int * height: int * width: int

    member s.Size =
        match s with
        | Vector n -> n
        | Image(c, h, w) -> c * h * w

    /// Keras's shape without the batch axis: (features) or (height, width, channels).
    override s.ToString() =
        match s with
        | Vector n -> $"({n})"
        | Image(c, h, w) -> $"({h}, {w}, {c})"

/// Keras padding modes for Conv2D.
[<RequireQualifiedAccess>]
type Padding =
    /// Output size ceil(in/stride); any odd padding goes to the bottom/right, as in TensorFlow.
    | Same
    /// No padding: output size floor((in - kernel)/stride) + 1.
    | Valid
