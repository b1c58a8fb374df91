namespace Lrbs.Core.Models

/// Activation applied after a layer's affine part.
[<RequireQualifiedAccess>]
type Activation =
    | Linear
    | Relu
    | Sigmoid
    | Softmax

/// Keras padding modes for Conv2D.
[<RequireQualifiedAccess>]
type Padding =
    /// Output size ceil(in/stride); any odd padding goes to the bottom/right, as in TensorFlow.
    | Same
    /// No padding: output size floor((in - kernel)/stride) + 1.
    | Valid

/// One layer, as in Keras's Sequential API.
[<RequireQualifiedAccess>]
type Layer =
    /// Dense(units, activation): y = act(x W + b), W of shape (in, units).
    | Dense of units: int * activation: Activation
    /// Conv2D(filters, kernel x kernel, stride, padding, activation).
    | Conv2D of filters: int * kernel: int * stride: int * padding: Padding * activation: Activation
    /// MaxPool2D(pool x pool), strides = pool, valid padding (Keras defaults).
    | MaxPool2D of pool: int
    /// Flatten in Keras's channels-last order (so weights after it match Keras row for row).
    | Flatten
    /// Dropout(rate): active only while training.
    | Dropout of rate: float

/// The shape of one example flowing between layers.
[<RequireQualifiedAccess>]
type Shape =
    | Vector of features: int
    | Image of channels: int * height: int * width: int

    member s.Size =
        match s with
        | Vector n -> n
        | Image(c, h, w) -> c * h * w

    override s.ToString() =
        match s with
        | Vector n -> $"({n})"
        | Image(c, h, w) -> $"({h}x{w}x{c})"

/// A model: an input shape and a stack of layers.
type ModelSpec =
    { Name: string
      Input: Shape
      Layers: Layer list }

/// Shape inference and parameter counting (pure).
module ModelSpec =
    /// Keras "same"/"valid" output size and the (before, after) padding of one axis.
    let convAxis (padding: Padding) (size: int) (kernel: int) (stride: int) =
        match padding with
        | Padding.Valid -> (size - kernel) / stride + 1, (0, 0)
        | Padding.Same ->
            let out = (size + stride - 1) / stride
            let total = max ((out - 1) * stride + kernel - size) 0
            out, (total / 2, total - total / 2)

    /// The output shape of one layer, or an error naming the layer.
    let outputShape (index: int) (input: Shape) (layer: Layer) : Result<Shape, string> =
        match layer, input with
        | Layer.Dense(units, _), Shape.Vector _ when units > 0 -> Ok(Shape.Vector units)
        | Layer.Dense _, Shape.Image _ -> Error $"layer {index} (Dense) needs a flat input {input}: add Flatten before it"
        | Layer.Conv2D(f, k, s, p, _), Shape.Image(_, h, w) when f > 0 && k > 0 && s > 0 ->
            let oh, _ = convAxis p h k s
            let ow, _ = convAxis p w k s
            if oh < 1 || ow < 1 then Error $"layer {index} (Conv2D {k}x{k}) does not fit input {input}"
            else Ok(Shape.Image(f, oh, ow))
        | Layer.MaxPool2D pool, Shape.Image(c, h, w) when pool > 0 ->
            if h < pool || w < pool then Error $"layer {index} (MaxPool2D {pool}x{pool}) does not fit input {input}"
            else Ok(Shape.Image(c, h / pool, w / pool))
        | (Layer.Conv2D _ | Layer.MaxPool2D _), Shape.Vector _ -> Error $"layer {index} needs an image input, got {input}"
        | Layer.Flatten, s -> Ok(Shape.Vector s.Size)
        | Layer.Dropout r, s when r >= 0.0 && r < 1.0 -> Ok s
        | l, _ -> Error $"layer {index} has invalid settings: %A{l}"

    /// Shapes after each layer (input first), or the first error.
    let shapes (spec: ModelSpec) : Result<Shape list, string> =
        let folder acc (i, layer) =
            acc |> Result.bind (fun (shapes: Shape list) -> outputShape i shapes.Head layer |> Result.map (fun s -> s :: shapes))
        spec.Layers |> List.indexed |> List.fold folder (Ok [ spec.Input ]) |> Result.map List.rev

    /// Trainable parameters of one layer given its input shape.
    let layerParameters (input: Shape) (layer: Layer) =
        match layer, input with
        | Layer.Dense(units, _), s -> s.Size * units + units
        | Layer.Conv2D(f, k, _, _, _), Shape.Image(c, _, _) -> k * k * c * f + f
        | _ -> 0

    /// Total trainable parameters (Keras's model.count_params()).
    let parameterCount (spec: ModelSpec) =
        match shapes spec with
        | Ok shapes -> Ok(List.map2 layerParameters (List.take spec.Layers.Length shapes) spec.Layers |> List.sum)
        | Error e -> Error e

    /// The output shape of the whole model.
    let outputOf (spec: ModelSpec) = shapes spec |> Result.map List.last
