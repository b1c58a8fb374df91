/// The named models of the studies (docs/studies.md), built for a given input shape and output count.
module Lrbs.Core.Models.Catalog

let private conv f = Layer.Conv2D(f, 3, 1, Padding.Same, Activation.Relu)

/// The output head: softmax classes, or linear box coordinates.
type Head =
    | Classes of count: int
    | MultiLabel of count: int
    | Box

let private head =
    function
    | Classes n -> Layer.Dense(n, Activation.Softmax)
    | MultiLabel n -> Layer.Dense(n, Activation.Sigmoid)
    | Box -> Layer.Dense(4, Activation.Linear)

let private flattenIfImage (input: Shape) =
    match input with
    | Shape.Image _ -> [ Layer.Flatten ]
    | Shape.Vector _ -> []

/// name -> (description, layers for an input and a head)
let private models: (string * string * (Shape -> Head -> Layer list)) list =
    [
        "mlp-100-50",
        "S1/S2: Flatten -> Dense(100, relu) -> Dense(50, relu) -> head",
        fun input h -> flattenIfImage input @ [ Layer.Dense(100, Activation.Relu); Layer.Dense(50, Activation.Relu); head h ]
        "mlp-200-90-50-sigmoid",
        "S3: Dense(200, sigmoid) -> Dense(90, sigmoid) -> Dense(50, sigmoid) -> head",
        fun input h ->
            flattenIfImage input
            @ [
                Layer.Dense(200, Activation.Sigmoid)
                Layer.Dense(90, Activation.Sigmoid)
                Layer.Dense(50, Activation.Sigmoid)
                head h
            ]
        "cnn-animals",
        "S4: [Conv(32,64,128 3x3 same relu) + MaxPool 2x2] x3 -> Flatten -> head",
        fun _ h -> [ conv 32; Layer.MaxPool2D 2; conv 64; Layer.MaxPool2D 2; conv 128; Layer.MaxPool2D 2; Layer.Flatten; head h ]
        "cnn-traffic",
        "S5: [Conv(32,32,64 3x3 relu) + MaxPool 2x2] x3 -> Flatten -> Dense(64, relu) -> Dropout(0.5) -> head",
        fun _ h ->
            let c f = Layer.Conv2D(f, 3, 1, Padding.Valid, Activation.Relu)

            [
                c 32
                Layer.MaxPool2D 2
                c 32
                Layer.MaxPool2D 2
                c 64
                Layer.MaxPool2D 2
                Layer.Flatten
                Layer.Dense(64, Activation.Relu)
                Layer.Dropout 0.5
                head h
            ]
        "cnn-small",
        "S6: [Conv(16, 32 3x3 same relu) + MaxPool 2x2] x2 -> Flatten -> Dense(64, relu) -> head",
        fun _ h -> [ conv 16; Layer.MaxPool2D 2; conv 32; Layer.MaxPool2D 2; Layer.Flatten; Layer.Dense(64, Activation.Relu); head h ]
        "cnn-box",
        "S7: MaxPool -> Conv(4) -> MaxPool -> Conv(4) -> MaxPool -> Flatten -> Dense(16, relu) -> head",
        fun _ h ->
            let c f = Layer.Conv2D(f, 3, 1, Padding.Same, Activation.Relu)

            [
                Layer.MaxPool2D 2
                c 4
                Layer.MaxPool2D 2
                c 4
                Layer.MaxPool2D 2
                Layer.Flatten
                Layer.Dense(16, Activation.Relu)
                head h
            ]
    ]

/// The head a dataset needs as a model's last layer: Dense with this width and activation.
let expected =
    function
    | Classes n -> n, Activation.Softmax
    | MultiLabel n -> n, Activation.Sigmoid
    | Box -> 4, Activation.Linear

let private headText =
    function
    | Classes n -> $"{n} classes"
    | MultiLabel n -> $"{n} labels"
    | Box -> "box coordinates (x1, y1, x2, y2)"

/// Checks that a model's output layer fits the dataset's targets (softmax classes, sigmoid
/// labels, linear boxes); the error names the layer's index and says what is needed.
let checkHead (spec: ModelSpec) (h: Head) : Result<ModelSpec, string> =
    let units, activation = expected h
    let index = spec.Layers.Length - 1

    let need =
        $"the dataset's targets are {headText h}: the last layer must be dense with units {units} and activation {activation}"

    match List.tryLast spec.Layers with
    | None -> Error "a model needs at least one layer"
    | Some l when l.Def.Name <> "dense" -> Error $"layer {index} ({l.Def.Name}): {need}"
    | Some l when Keys.int l.Args "units" <> units || l.Activation <> activation ->
        let u = Keys.int l.Args "units"
        Error $"layer {index} (dense, units {u}, activation {l.Activation}): {need}"
    | Some _ -> Ok spec

/// The names users may pass as --model.
let names = models |> List.map (fun (n, _, _) -> n)

/// One line per model: name and layers.
let describe () = models |> List.map (fun (n, d, _) -> n, d)

/// Builds a named model for an input shape and head, or explains what is allowed.
let build (name: string) (input: Shape) (h: Head) : Result<ModelSpec, string> =
    match models |> List.tryFind (fun (n, _, _) -> n = name) with
    | None -> Error $"""unknown model '{name}'{Lrbs.Core.Suggest.hint name names}; allowed: {String.concat ", " names}"""
    | Some(_, _, layers) ->
        let spec = { Name = name; Input = input; Layers = layers input h }

        ModelSpec.shapes spec
        |> Result.map (fun _ -> spec)
        |> Result.mapError (fun e -> $"model '{name}' on input {input}: {e}")
