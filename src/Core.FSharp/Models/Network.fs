namespace Lrbs.Core.Models

open System
open Lrbs.Core.Engine
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers

/// One weight array in Keras's layout (Dense kernel (in, out); Conv2D kernel
/// (kh, kw, in, out); biases (out)), used to save, load and compare weights.
type KerasWeight = { Name: string; Shape: int[]; Values: float32[] }

/// Per-member sums over some rows: the loss and metric summed over examples, and the count.
type Totals =
    {
        LossSum: float
        MetricSum: float
        Count: float
    }

    member t.MeanLoss = t.LossSum / t.Count
    member t.MeanMetric = t.MetricSum / t.Count

/// K members of one model on the engine (a single trial is K = 1): their weights, their
/// optimizer's state and the training step live in the native net (src/Native/net).
/// `sharedInput`: every member sees the same batches; otherwise each has its own order.
type Network private (spec: ModelSpec, loss: Loss, arrays: ModelWeight list, slots: int, handle: nativeint) =
    let mutable h = handle

    /// The shim's description of each layer: its kind, activation and settings (its input
    /// shape, the definition's native settings, alpha where the activation takes one).
    static let describe (arena: Native.Arena) (spec: ModelSpec) : Native.LayerDesc[] =
        match ModelSpec.layerShapes spec with
        | Error e -> invalidArg "spec" e
        | Ok layers ->
            layers
            |> List.map (fun (layer, input, _) ->
                let c, hh, ww =
                    match input with
                    | Shape.Image(c, hh, ww) -> c, hh, ww
                    | Shape.Vector n -> n, 0, 0

                let alpha =
                    match layer.Args.TryFind "alpha" with
                    | Some(Value.Number a) -> [ "alpha", a ]
                    | _ -> []

                let settings =
                    [ "in_channels", float c; "in_height", float hh; "in_width", float ww ] @ layer.Def.Native layer.Args input @ alpha

                let p, n = arena.Settings settings
                ({ Kind = arena.Text layer.Def.Name; Activation = arena.Text layer.Activation; Settings = p; NSettings = n }: Native.LayerDesc))
            |> Array.ofList

    static let optimizerDesc (arena: Native.Arena) (o: OptimizerSpec) : Native.OptimizerDesc =
        let p, n = arena.Settings(Map.toList o.Settings)
        { Kind = arena.Text o.Kind.Name; Settings = p; NSettings = n }

    static let registry (name: string) =
        let buffer = Array.zeroCreate<byte> 4096
        let n = Native.lrbs_registry_names (name, buffer, buffer.Length) |> Native.checkCode

        Text.Encoding.UTF8.GetString(buffer, 0, min n (buffer.Length - 1)).Split(',', StringSplitOptions.RemoveEmptyEntries)
        |> Set.ofArray

    /// The engine agrees with this assembly: the same layer, activation, loss and optimizer names
    /// in both registries, the same struct layouts, and each optimizer's state slots as its
    /// definition counts them. Checked once, before the first net is made.
    static let engineCheck =
        lazy
            (let problems = ResizeArray<string>()

             let compare what (mine: string seq) =
                 let native = registry what
                 let mine = Set.ofSeq mine

                 for m in Set.difference mine native do
                     problems.Add $"{what} '{m}' is defined here but not registered in the engine"

                 for m in Set.difference native mine do
                     problems.Add $"{what} '{m}' is registered in the engine but has no definition here"

             compare "layer" LayerRegistry.names
             compare "activation" Activations.names
             compare "loss" (Loss.all |> List.map Loss.name)
             compare "optimizer" (Kinds.all |> List.map (fun k -> k.Name))

             for name, t, fields in Native.abiStructs do
                 let out = Array.zeroCreate<int64> 16
                 let n = Native.lrbs_abi_layout (name, out, out.Length) |> Native.checkCode

                 let mine =
                     int64 (Runtime.InteropServices.Marshal.SizeOf t)
                     :: (fields |> List.map (fun f -> int64 (Runtime.InteropServices.Marshal.OffsetOf(t, f + "@"))))

                 if List.ofArray out[.. n - 1] <> mine then
                     problems.Add $"struct {name}: the engine's size and offsets %A{out[.. n - 1]}, here %A{mine}"

             if problems.Count = 0 then
                 for kind in Kinds.all do
                     for variant in [ []; [ "momentum", 0.9 ] ] do
                         match OptimizerSpec.create kind.Name (variant |> List.filter (fun (k, _) -> kind.Keys |> List.exists (fun h -> h.Name = k))) with
                         | Ok o ->
                             use arena = new Native.Arena()
                             let mutable d = optimizerDesc arena o
                             let native = Native.lrbs_optimizer_state_slots &d |> Native.checkCode

                             if native <> kind.StateSlots o.Settings then
                                 problems.Add
                                     $"optimizer {o}: the engine keeps {native} state tensors per parameter, its definition counts {kind.StateSlots o.Settings}"
                         | Error e -> problems.Add e

             if problems.Count > 0 then
                 raise (NativeException("the engine (liblrbs_native) does not match this build: " + String.concat "; " problems)))

    /// Raises NativeException naming every disagreement between the engine and the definitions.
    static member CheckEngine() = engineCheck.Force()

    /// Names, shapes and roles of each weight array in Keras's order.
    static member KerasArrays(spec: ModelSpec) =
        match ModelSpec.weights spec with
        | Error e -> invalidArg "spec" e
        | Ok ws -> ws

    member internal _.Handle =
        if h = 0n then
            raise (ObjectDisposedException("Network"))

        h

    member _.Spec = spec
    member _.Loss = loss
    /// Members now in the net (KeepMembers drops some).
    member n.Members = Native.lrbs_net_members n.Handle |> Native.checkCode

    member private n.Read(part: Native.WeightPart, slot: int, index: int, memberIndex: int) =
        let w = arrays[index]
        let values = Array.zeroCreate<float32>(Array.fold (*) 1 w.Def.Shape)

        Native.lrbs_net_read (n.Handle, part, slot, index, memberIndex, values, int64 values.Length)
        |> Native.checkCode
        |> ignore

        { Name = w.Name; Shape = w.Def.Shape; Values = values }

    /// The model's weight arrays: names, shapes and roles, in Keras's order.
    member _.Arrays = arrays

    /// A member's weights in Keras's layout and order (trainable parameters and state).
    member n.GetKerasWeights(memberIndex: int) = List.init arrays.Length (fun i -> n.Read(Native.WeightPart.Values, 0, i, memberIndex))

    /// A member's gradients of the last step, in Keras's layout: the trainable arrays only.
    member n.GetKerasGradients(memberIndex: int) =
        arrays
        |> List.indexed
        |> List.filter (fun (_, w) -> Role.trainable w.Def.Role)
        |> List.map (fun (i, _) -> n.Read(Native.WeightPart.Gradients, 0, i, memberIndex))

    /// Replaces a member's weights with Keras-layout arrays (shapes must match).
    member n.SetKerasWeights(memberIndex: int, weights: KerasWeight list) =
        if weights.Length <> arrays.Length then
            invalidArg "weights" $"model has {arrays.Length} weight arrays, got {weights.Length}"

        List.iteri2
            (fun i (a: ModelWeight) (w: KerasWeight) ->
                if w.Shape <> a.Def.Shape then
                    invalidArg "weights" $"{a.Name}: expected shape %A{a.Def.Shape}, got %A{w.Shape}"

                Native.lrbs_net_write (n.Handle, Native.WeightPart.Values, 0, i, memberIndex, w.Values, int64 w.Values.Length)
                |> Native.checkCode
                |> ignore)
            arrays
            weights

    /// The trainable arrays' indices among the weight arrays (the optimizer keeps state for these).
    member private _.Trainable = arrays |> List.indexed |> List.filter (fun (_, w) -> Role.trainable w.Def.Role) |> List.map fst

    /// A member's optimizer state in Keras's layout: per trainable array, per state slot of the
    /// optimizer (its kind's StateSlots), zeros before the first step.
    member n.GetOptimizerState(memberIndex: int) =
        [|
            for i in n.Trainable do
                for slot in 0 .. slots - 1 -> (n.Read(Native.WeightPart.OptimizerState, slot, i, memberIndex)).Values
        |]

    /// Replaces a member's optimizer state with arrays as GetOptimizerState returns them.
    member n.SetOptimizerState(memberIndex: int, state: float32[][]) =
        let targets =
            [|
                for i in n.Trainable do
                    for slot in 0 .. slots - 1 -> i, slot
            |]

        if state.Length <> targets.Length then
            invalidArg "state" $"the optimizer keeps {targets.Length} state arrays ({slots} per trainable array), got {state.Length}"

        Array.iter2
            (fun (i, slot) (values: float32[]) ->
                Native.lrbs_net_write (n.Handle, Native.WeightPart.OptimizerState, slot, i, memberIndex, values, int64 values.Length)
                |> Native.checkCode
                |> ignore)
            targets
            state

    /// The optimizer's step count (Adam's t), shared by the members.
    member n.OptimizerSteps
        with get () = Native.lrbs_net_optimizer_steps n.Handle |> Native.checkCount
        and set (steps: int64) = Native.lrbs_net_set_optimizer_steps (n.Handle, steps) |> Native.checkCode |> ignore

    /// A member's dropout generator state (libtorch's CPU generator), and its restoration.
    member n.GetDropoutState(memberIndex: int) =
        let size = Native.lrbs_net_generator_state (n.Handle, memberIndex, null, 0L) |> Native.checkCount
        let out = Array.zeroCreate<byte>(int size)
        Native.lrbs_net_generator_state (n.Handle, memberIndex, out, size) |> Native.checkCount |> ignore
        out

    member n.SetDropoutState(memberIndex: int, state: byte[]) =
        Native.lrbs_net_set_generator_state (n.Handle, memberIndex, state, int64 state.Length) |> Native.checkCode |> ignore

    /// Per member, the loss and metric sums of the training steps since the last reset.
    member n.Statistics(reset: bool) = n.ReadTotals(fun out -> Native.lrbs_net_stats (n.Handle, out, (if reset then 1 else 0)))

    /// Per member, the mean loss of the last step.
    member n.LastLoss() =
        let out = Array.zeroCreate<float> n.Members
        Native.lrbs_net_last_loss (n.Handle, out) |> Native.checkCode |> ignore
        out

    /// Per member, (|G_b|^2, |G_B|^2) of the last step that measured them.
    member n.NoiseMeasurement() =
        let small = Array.zeroCreate<float> n.Members
        let big = Array.zeroCreate<float> n.Members
        Native.lrbs_net_gns (n.Handle, small, big) |> Native.checkCode |> ignore
        Array.zip small big

    /// Per member, loss and metric sums over every row of x and y in evaluation mode.
    /// Rows per forward pass when evaluating or predicting.
    static member EvaluationChunk = 1024L

    member n.Evaluate(x: Tensor, y: Tensor) = n.ReadTotals(fun out -> Native.lrbs_net_evaluate (n.Handle, x.Handle, y.Handle, Network.EvaluationChunk, out))

    /// Outputs after the last activation, (members, rows, outputs), evaluation mode.
    member n.Predict(x: Tensor) = T.ofHandle (Native.lrbs_net_predict (n.Handle, x.Handle, Network.EvaluationChunk))

    /// Keeps only these members (indices into the current members), in this order.
    member n.KeepMembers(indices: int[]) = Native.lrbs_net_keep_members (n.Handle, Array.map int64 indices, indices.Length) |> Native.checkCode |> ignore

    member private n.ReadTotals(read: Native.NativeTotals[] -> int) =
        let out = Array.zeroCreate<Native.NativeTotals> n.Members
        read out |> Native.checkCode |> ignore
        out |> Array.map (fun t -> { LossSum = t.LossSum; MetricSum = t.MetricSum; Count = t.Examples })

    interface IDisposable with
        member _.Dispose() =
            if h <> 0n then
                Native.lrbs_net_dispose h
                h <- 0n

    /// Builds the members with Keras-default initialisation (glorot_uniform kernels, zero
    /// biases and betas, unit gammas and moving variances), member k drawn from a generator
    /// seeded with seeds[k]; seeds[k] also seeds that member's dropout masks.
    /// The output of a model made only of layers without weights or randomness (a constant
    /// prefix) for the rows x, computed by the engine's own layers, forward only.
    static member ForwardConstant(spec: ModelSpec, x: Tensor) =
        engineCheck.Force()
        use arena = new Native.Arena()
        let layers = describe arena spec
        T.ofHandle (Native.lrbs_constant_forward (layers, layers.Length, x.Handle))

    static member Create(spec: ModelSpec, loss: Loss, optimizer: OptimizerSpec, seeds: uint64[], sharedInput: bool) =
        engineCheck.Force()
        let arrays = Network.KerasArrays spec

        let handle =
            use arena = new Native.Arena()
            let layers = describe arena spec
            let mutable o = optimizerDesc arena optimizer

            Native.lrbs_net_create (layers, layers.Length, seeds.Length, (if sharedInput then 1 else 0), Loss.name loss, &o, seeds)
            |> Native.checkHandle

        let slots = optimizer.Kind.StateSlots optimizer.Settings // the engine agrees (engineCheck)
        let net = new Network(spec, loss, arrays, slots, handle)

        seeds
        |> Array.iteri (fun k seed ->
            let rng = Rng.Derive(seed, "init")

            arrays
            |> List.iteri (fun i w ->
                let shape = w.Def.Shape
                let count = Array.fold (*) 1 shape

                let values =
                    match w.Def.Role with
                    | Role.Kernel ->
                        let receptive = if shape.Length = 4 then shape[0] * shape[1] else 1
                        let fanIn = shape[shape.Length - 2] * receptive
                        let fanOut = shape[shape.Length - 1] * receptive
                        Some(Init.uniform rng (Init.glorotLimit fanIn fanOut) count)
                    | Role.Gamma
                    | Role.MovingVariance -> Some(Array.create count 1.0f)
                    | Role.Bias
                    | Role.Beta
                    | Role.MovingMean -> None

                values
                |> Option.iter (fun v -> Native.lrbs_net_write (handle, Native.WeightPart.Values, 0, i, k, v, int64 v.Length) |> Native.checkCode |> ignore)))

        net
