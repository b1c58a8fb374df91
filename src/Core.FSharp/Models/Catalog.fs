/// The named models of the studies (docs/studies.md), built for a given input shape and output count.
module Lrbs.Core.Models.Catalog

type private A = Activation

let private conv f = Layer.Conv2D(f, 3, 1, Padding.Same, A.Relu)

/// The output head: softmax classes, or linear box coordinates.
type Head =
    | Classes of count: int
    | MultiLabel of count: int
    | Box

let private head =
    function
    | Classes n -> Layer.Dense(n, A.Softmax)
    | MultiLabel n -> Layer.Dense(n, A.Sigmoid)
    | Box -> Layer.Dense(4, A.Linear)

let private flattenIfImage (input: Shape) =
    match input with
    | Shape.Image _ -> [ Layer.Flatten ]
    | Shape.Vector _ -> []

/// name -> (description, layers for an input and a head)
let private models: (string * string * (Shape -> Head -> Layer list)) list =
    [ "mlp-100-50", "S1/S2: Flatten -> Dense(100, relu) -> Dense(50, relu) -> head",
      fun input h -> flattenIfImage input @ [ Layer.Dense(100, A.Relu); Layer.Dense(50, A.Relu); head h ]
      "mlp-200-90-50-sigmoid", "S3: Dense(200, sigmoid) -> Dense(90, sigmoid) -> Dense(50, sigmoid) -> head",
      fun input h ->
          flattenIfImage input
          @ [ Layer.Dense(200, A.Sigmoid); Layer.Dense(90, A.Sigmoid); Layer.Dense(50, A.Sigmoid); head h ]
      "cnn-animals", "S4: [Conv(32,64,128 3x3 same relu) + MaxPool 2x2] x3 -> Flatten -> head",
      fun _ h ->
          [ conv 32; Layer.MaxPool2D 2; conv 64; Layer.MaxPool2D 2; conv 128; Layer.MaxPool2D 2; Layer.Flatten; head h ]
      "cnn-traffic", "S5: [Conv(32,32,64 3x3 relu) + MaxPool 2x2] x3 -> Flatten -> Dense(64, relu) -> Dropout(0.5) -> head",
      fun _ h ->
          let c f = Layer.Conv2D(f, 3, 1, Padding.Valid, A.Relu)
          [ c 32; Layer.MaxPool2D 2; c 32; Layer.MaxPool2D 2; c 64; Layer.MaxPool2D 2; Layer.Flatten
            Layer.Dense(64, A.Relu); Layer.Dropout 0.5; head h ]
      "cnn-small", "S6: [Conv(16, 32 3x3 same relu) + MaxPool 2x2] x2 -> Flatten -> Dense(64, relu) -> head",
      fun _ h -> [ conv 16; Layer.MaxPool2D 2; conv 32; Layer.MaxPool2D 2; Layer.Flatten; Layer.Dense(64, A.Relu); head h ]
      "cnn-box", "S7: MaxPool -> Conv(4) -> MaxPool -> Conv(4) -> MaxPool -> Flatten -> Dense(16, relu) -> head",
      fun _ h ->
          let c f = Layer.Conv2D(f, 3, 1, Padding.Same, A.Relu)
          [ Layer.MaxPool2D 2; c 4; Layer.MaxPool2D 2; c 4; Layer.MaxPool2D 2; Layer.Flatten; Layer.Dense(16, A.Relu); head h ] ]

/// The names users may pass as --model.
let names = models |> List.map (fun (n, _, _) -> n)

/// One line per model: name and layers.
let describe () = models |> List.map (fun (n, d, _) -> n, d)

/// Builds a named model for an input shape and head, or explains what is allowed.
let build (name: string) (input: Shape) (h: Head) : Result<ModelSpec, string> =
    match models |> List.tryFind (fun (n, _, _) -> n = name) with
    | None -> Error $"""unknown model '{name}'; allowed: {String.concat ", " names}"""
    | Some(_, _, layers) ->
        let spec = { Name = name; Input = input; Layers = layers input h }
        ModelSpec.shapes spec |> Result.map (fun _ -> spec) |> Result.mapError (fun e -> $"model '{name}' on input {input}: {e}")
