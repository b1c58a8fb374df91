/// What the parity matrix (src/Host.CSharp/Parity) builds its cases from, C#-shaped: models,
/// optimizers and TensorFlow.js translations from their one definition each (Models/Layers,
/// Models/Activations.fs, Optimizers/Kinds.fs), and the training step every trial runs
/// (Training/StepTrace.fs). Arrays and dictionaries out; a definition that cannot be built
/// throws InvalidOperationException naming it (the matrix is built from the registry, so that
/// is a bug, not a user's input).
namespace Lrbs.Core.Surface

open System
open System.Collections.Generic
open Lrbs.Core.Engine
open Lrbs.Core.Losses
open Lrbs.Core.Models
open Lrbs.Core.Optimizers
open Lrbs.Core.Training

/// How TensorFlow.js builds a layer or an optimizer: `Entry` for the case file's "tfjs" member,
/// or `Unsupported` (null when supported) saying why it cannot.
type TfjsEntry = { Entry: Dictionary<string, obj>; Unsupported: string }

[<AbstractClass; Sealed>]
type ParityInputs =
    static member private Get(what: string, r: Result<'T, string>) =
        match r with
        | Ok v -> v
        | Error e -> raise (InvalidOperationException $"{what}: {e}")

    static member private Supported(pairs: (string * obj) seq) = { Entry = Dictionary<string, obj>(dict pairs); Unsupported = null }

    static member private Unsupported(why: string) = { Entry = null; Unsupported = why }

    /// A model of `layers` on `input`.
    static member Model(name: string, input: Shape, layers: Layer seq) : ModelSpec = { Name = name; Input = input; Layers = List.ofSeq layers }

    /// An optimizer or preset at its defaults (OptimizerSpec.ofName).
    static member Optimizer(name: string) : OptimizerSpec = ParityInputs.Get(name, OptimizerSpec.ofName name)

    /// An optimizer with one key set (OptimizerSpec.create).
    static member Optimizer(name: string, key: string, value: float) : OptimizerSpec =
        ParityInputs.Get($"{name} {key} {value}", OptimizerSpec.create name [ key, value ])

    /// The layer kinds that have a probe (LayerDef.Probe); the others say why not (Dropout's
    /// random masks).
    static member ProbedLayers: LayerDef[] = LayerRegistry.all |> List.filter (fun d -> Result.isOk d.Probe) |> Array.ofList

    /// A layer kind's probe model: 8x8x3 images -> conv2d(4, 3x3, same, tanh) [-> flatten, for
    /// a layer of vectors] -> the layer at its probe settings -> flatten where its output is an
    /// image -> dense(3, softmax). The tanh keeps a batch normalisation after it from meeting a
    /// linear layer's exactly-zero bias gradient.
    static member Probe(def: LayerDef) : ModelSpec =
        let name = $"probe-{def.Name}"
        let input = Shape.Image(3, 8, 8)
        let settings = ParityInputs.Get($"probe of {def.Name}", def.Probe)
        let layer = ParityInputs.Get($"probe of {def.Name}", LayerRegistry.create def settings)
        let conv = Layer.Conv2D(4, 3, 1, Padding.Same, Activation.Tanh)
        let model layers = { Name = name; Input = input; Layers = layers }

        let body =
            match ModelSpec.outputOf (model [ conv; layer ]) with
            | Ok _ -> [ conv; layer ]
            | Error _ -> [ conv; Layer.Flatten; layer ] // a layer of vectors (Dense) after the convolution

        let flat =
            match ParityInputs.Get(name, ModelSpec.outputOf (model body)) with
            | Shape.Image _ -> body @ [ Layer.Flatten ]
            | Shape.Vector _ -> body

        model (flat @ [ Layer.Dense(3, Activation.Softmax) ])

    /// A model's weight arrays in order (ModelSpec.weights).
    static member Weights(spec: ModelSpec) : ModelWeight[] = ParityInputs.Get(spec.Name, ModelSpec.weights spec) |> Array.ofList

    /// How TensorFlow.js builds the layer (LayerDef.Tfjs, and its activation's Tfjs): the layer
    /// class, its config, and an activation that TensorFlow.js has only as a layer of its own
    /// ("activation": {"name", "config"}, the layer's own activation then "linear").
    static member Tfjs(l: Layer) : TfjsEntry =
        let activation =
            if not l.Def.HasActivation then
                Ok None
            else
                let alpha =
                    match l.Args.TryFind "alpha" with
                    | Some(Value.Number a) -> a
                    | _ -> 0.0

                match Activations.tryFind l.Activation with
                | Some a -> a.Tfjs alpha |> Result.map Some
                | None -> Error $"unknown activation '{l.Activation}'"

        match l.Def.Tfjs l.Args, activation with
        | Error e, _
        | _, Error e -> ParityInputs.Unsupported e
        | Ok t, Ok act ->
            let config = Dictionary<string, obj>(dict t.Config)
            let entry = [ "layer", box t.Layer; "config", box config ]

            match act with
            | None -> ParityInputs.Supported entry
            | Some(Choice1Of2 name) ->
                config["activation"] <- name
                ParityInputs.Supported entry
            | Some(Choice2Of2(name, settings)) ->
                config["activation"] <- "linear"
                let layer = Dictionary<string, obj>(dict [ "name", box name; "config", box (Dictionary<string, obj>(dict settings)) ])
                ParityInputs.Supported(entry @ [ "activation", box layer ])

    /// How TensorFlow.js builds the optimizer (OptimizerKind.Tfjs): the tf.train function and
    /// its arguments.
    static member Tfjs(o: OptimizerSpec) : TfjsEntry =
        match o.Kind.Tfjs o.Settings with
        | Error e -> ParityInputs.Unsupported e
        | Ok t -> ParityInputs.Supported [ "fn", box t.Fn; "args", box (List<obj>(t.Args)) ]

    /// The training step every trial runs, once per (batch, learning rate), from `weights`
    /// (StepTrace.run).
    static member Trace(optimizer: OptimizerSpec, spec: ModelSpec, loss: Loss, weights: KerasWeight seq, batches: KerasBatch seq, lrs: float seq) : StepTrace =
        StepTrace.run optimizer spec loss (List.ofSeq weights) (List.zip (List.ofSeq batches) (List.ofSeq lrs))

    /// A pack member's weights in Keras's order (Network.GetKerasWeights).
    static member KerasWeights(net: Network, memberIndex: int) : KerasWeight[] = Array.ofList (net.GetKerasWeights memberIndex)

    /// A model's layers, first to last (ModelSpec.Layers).
    static member Layers(spec: ModelSpec) : Layer[] = Array.ofList spec.Layers
