namespace Lrbs.Core.Models

/// A model: an input shape and a stack of layers (Keras's Sequential).
type ModelSpec = { Name: string; Input: Shape; Layers: Layer list }

/// One weight array of a model: its name (kind and layer index, then the role, as
/// "conv2d0/kernel"), its layer and its definition.
type ModelWeight = { Name: string; LayerIndex: int; Def: WeightDef }

/// Shape inference, weights and parameter counting (pure).
module ModelSpec =
    /// Keras "same"/"valid" output size and the (before, after) padding of one axis.
    let convAxis = Layers.Conv2D.axis

    /// The output shape of one layer, or an error naming the layer's index and kind.
    let outputShape (index: int) (input: Shape) (layer: Layer) : Result<Shape, string> =
        layer.Def.Output layer.Args input |> Result.mapError (fun e -> $"layer {index} ({layer.Def.Name}): {e}")

    /// Shapes after each layer (input first), or the first error.
    let shapes (spec: ModelSpec) : Result<Shape list, string> =
        let folder acc (i, layer) = acc |> Result.bind (fun (shapes: Shape list) -> outputShape i shapes.Head layer |> Result.map (fun s -> s :: shapes))
        spec.Layers |> List.indexed |> List.fold folder (Ok [ spec.Input ]) |> Result.map List.rev

    /// Each layer with its input and output shapes.
    let layerShapes (spec: ModelSpec) = shapes spec |> Result.map (fun s -> List.zip3 spec.Layers (List.take spec.Layers.Length s) (List.tail s))

    /// Every weight array in Keras's get_weights() order (trainable parameters and state).
    let weights (spec: ModelSpec) : Result<ModelWeight list, string> =
        layerShapes spec
        |> Result.map (fun layers ->
            layers
            |> List.indexed
            |> List.collect (fun (i, (layer, input, _)) ->
                layer.Def.Weights layer.Args input
                |> List.map (fun w -> { Name = $"{layer.Def.Name}{i}/{Role.name w.Role}"; LayerIndex = i; Def = w })))

    let private size (w: WeightDef) = Array.fold (*) 1 w.Shape

    /// Total parameters, trainable and state alike (Keras's model.count_params()).
    let parameterCount (spec: ModelSpec) = weights spec |> Result.map (List.sumBy (fun w -> size w.Def))

    /// Trainable parameters only (those the optimizer updates).
    let trainableCount (spec: ModelSpec) = weights spec |> Result.map (List.filter (fun w -> Role.trainable w.Def.Role) >> List.sumBy (fun w -> size w.Def))

    /// The output shape of the whole model.
    let outputOf (spec: ModelSpec) = shapes spec |> Result.map List.last

    /// The layers as text, one canonical layer after another: two definitions with the same
    /// layers have the same text whatever their name or file.
    let canonicalLayers (spec: ModelSpec) = spec.Layers |> List.map (fun l -> l.Canonical) |> String.concat "; "

    /// Each layer's cost per example (LayerDef.Cost), in order.
    let layerCosts (spec: ModelSpec) = layerShapes spec |> Result.map (List.map (fun (l, input, output) -> l.Def.Cost l.Args input output))

    /// The model's cost per example: the sum of its layers'.
    let cost (spec: ModelSpec) = layerCosts spec |> Result.map (List.fold (+) Cost.Zero)

    /// FLOPs as people read them: 1.2 K, 3.4 M, 5.6 G.
    let flopsText (flops: float) =
        let inv = System.Globalization.CultureInfo.InvariantCulture

        if flops >= 1e9 then (flops / 1e9).ToString("0.##", inv) + " G"
        elif flops >= 1e6 then (flops / 1e6).ToString("0.##", inv) + " M"
        elif flops >= 1e3 then (flops / 1e3).ToString("0.##", inv) + " K"
        else flops.ToString("0", inv)

    /// A Keras-style summary: each layer (numbered from 1, as every message numbers them), its
    /// output shape, its parameter count and its forward FLOPs per example, and the totals.
    let summary (spec: ModelSpec) : Result<string list, string> =
        layerShapes spec
        |> Result.bind (fun layers ->
            trainableCount spec
            |> Result.bind (fun trainable ->
                parameterCount spec
                |> Result.map (fun total ->
                    let costs = layers |> List.map (fun (l, input, output) -> l.Def.Cost l.Args input output)
                    let whole = List.fold (+) Cost.Zero costs

                    let rows =
                        List.zip layers costs
                        |> List.indexed
                        |> List.map (fun (i, ((l, input, output), c)) ->
                            let p = l.Def.Weights l.Args input |> List.sumBy size
                            let settings = l.Args |> Map.toList |> List.map (fun (k, v) -> $"{k}={v.Canonical}") |> String.concat ", "
                            $"{i + 1, 3}  {l.Def.Name, -22} {string output, -16} {p, 10:N0} {flopsText c.Forward, 10}  {settings}")

                    [
                        $"Model: {spec.Name} (input {spec.Input})"
                        $"""{"#", 3}  {"layer", -22} {"output shape", -16} {"params", 10} {"FLOPs", 10}  settings"""
                    ]
                    @ rows
                    @ [
                        $"Total params: {total:N0}"
                        $"Trainable params: {trainable:N0}"
                        $"Non-trainable params: {total - trainable:N0}"
                        $"FLOPs per example: {flopsText whole.Forward} forward, {flopsText (whole.Forward + whole.Backward)} forward and backward (a multiply-add counts 2)"
                    ])))
