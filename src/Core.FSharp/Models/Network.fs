namespace Lrbs.Core.Models

open System
open Lrbs.Core.Engine
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers

/// One weight array in Keras's layout (Dense kernel (in, out); Conv2D kernel
/// (kh, kw, in, out); biases (out)), used to save, load and compare weights.
type KerasWeight =
    { Name: string
      Shape: int[]
      Values: float32[] }

/// Per-member sums over some rows: the loss and metric summed over examples, and the count.
type Totals =
    { LossSum: float
      MetricSum: float
      Count: float }

    member t.MeanLoss = t.LossSum / t.Count
    member t.MeanMetric = t.MetricSum / t.Count

/// K members of one model on the engine (a single trial is K = 1): their weights, their
/// optimizer's state and the training step live in the native net (src/Native/net).
/// `sharedInput`: every member sees the same batches; otherwise each has its own order.
type Network private (spec: ModelSpec, loss: Loss, arrays: (string * int[]) list, handle: nativeint) =
    let mutable h = handle

    static let activation =
        function
        | Activation.Linear -> 0
        | Activation.Relu -> 1
        | Activation.Sigmoid -> 2
        | Activation.Softmax -> 3

    /// The shim's description of each layer with its input shape and resolved padding.
    static let describe (spec: ModelSpec) (shapes: Shape list) : Native.LayerDesc[] =
        List.zip (List.take spec.Layers.Length shapes) spec.Layers
        |> List.map (fun (input, layer) ->
            let c, hh, ww =
                match input with
                | Shape.Image(c, hh, ww) -> c, hh, ww
                | Shape.Vector n -> n, 0, 0
            let d: Native.LayerDesc =
                { Kind = 0; Activation = 0; Units = 0; Kernel = 0; Stride = 1; PadTop = 0; PadBottom = 0; PadLeft = 0; PadRight = 0
                  InChannels = c; InHeight = hh; InWidth = ww; Rate = 0.0 }
            match layer with
            | Layer.Dense(u, a) -> { d with Kind = 1; Activation = activation a; Units = u; InChannels = input.Size; InHeight = 0; InWidth = 0 }
            | Layer.Conv2D(f, k, s, pad, a) ->
                let _, (top, bottom) = ModelSpec.convAxis pad hh k s
                let _, (left, right) = ModelSpec.convAxis pad ww k s
                { d with Kind = 2; Activation = activation a; Units = f; Kernel = k; Stride = s; PadTop = top; PadBottom = bottom; PadLeft = left; PadRight = right }
            | Layer.MaxPool2D p -> { d with Kind = 3; Kernel = p; Stride = p }
            | Layer.Flatten -> { d with Kind = 4 }
            | Layer.Dropout r -> { d with Kind = 5; Rate = r })
        |> Array.ofList

    static let optimizerDesc (o: OptimizerSpec) : Native.OptimizerDesc =
        match o with
        | OptimizerSpec.Sgd c ->
            { Kind = 0; Momentum = c.Momentum; Nesterov = (if c.Nesterov then 1 else 0)
              PytorchForm = (if c.Form = MomentumForm.PyTorch then 1 else 0); Beta1 = 0.0; Beta2 = 0.0; Epsilon = 0.0; BiasCorrected = 0 }
        | OptimizerSpec.Adam c ->
            { Kind = 1; Momentum = 0.0; Nesterov = 0; PytorchForm = 0; Beta1 = c.Beta1; Beta2 = c.Beta2; Epsilon = c.Epsilon
              BiasCorrected = (if c.Placement = EpsilonPlacement.BiasCorrected then 1 else 0) }

    /// Keras-layout names and shapes of each parameter array, in order.
    static member KerasArrays(spec: ModelSpec) =
        match ModelSpec.shapes spec with
        | Error e -> invalidArg "spec" e
        | Ok shapes ->
            List.zip (List.take spec.Layers.Length shapes) spec.Layers
            |> List.indexed
            |> List.collect (fun (i, (input, layer)) ->
                match layer, input with
                | Layer.Dense(u, _), s -> [ $"dense{i}/kernel", [| s.Size; u |]; $"dense{i}/bias", [| u |] ]
                | Layer.Conv2D(f, k, _, _, _), Shape.Image(c, _, _) -> [ $"conv{i}/kernel", [| k; k; c; f |]; $"conv{i}/bias", [| f |] ]
                | _ -> [])

    member internal _.Handle =
        if h = 0n then raise (ObjectDisposedException("Network"))
        h

    member _.Spec = spec
    member _.Loss = loss
    /// Members now in the net (KeepMembers drops some).
    member n.Members = Native.lrbs_net_members n.Handle |> Native.checkCode

    member private n.Read(what: int, index: int, memberIndex: int) =
        let name, shape = arrays[index]
        let values = Array.zeroCreate<float32> (Array.fold (*) 1 shape)
        Native.lrbs_net_read (n.Handle, what, index, memberIndex, values, int64 values.Length) |> Native.checkCode |> ignore
        { Name = name; Shape = shape; Values = values }

    /// A member's weights in Keras's layout and order.
    member n.GetKerasWeights(memberIndex: int) = List.init arrays.Length (fun i -> n.Read(0, i, memberIndex))

    /// A member's gradients of the last step, in Keras's layout.
    member n.GetKerasGradients(memberIndex: int) = List.init arrays.Length (fun i -> n.Read(1, i, memberIndex))

    /// Replaces a member's weights with Keras-layout arrays (shapes must match).
    member n.SetKerasWeights(memberIndex: int, weights: KerasWeight list) =
        if weights.Length <> arrays.Length then
            invalidArg "weights" $"model has {arrays.Length} weight arrays, got {weights.Length}"
        List.iteri2
            (fun i (name, shape) (w: KerasWeight) ->
                if w.Shape <> shape then invalidArg "weights" $"{name}: expected shape %A{shape}, got %A{w.Shape}"
                Native.lrbs_net_write (n.Handle, i, memberIndex, w.Values, int64 w.Values.Length) |> Native.checkCode |> ignore)
            arrays
            weights

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
    member n.KeepMembers(indices: int[]) =
        Native.lrbs_net_keep_members (n.Handle, Array.map int64 indices, indices.Length) |> Native.checkCode |> ignore

    member private n.ReadTotals(read: float[] -> int) =
        let out = Array.zeroCreate<float> (3 * n.Members)
        read out |> Native.checkCode |> ignore
        Array.init n.Members (fun k -> { LossSum = out[3 * k]; MetricSum = out[3 * k + 1]; Count = out[3 * k + 2] })

    interface IDisposable with
        member _.Dispose() =
            if h <> 0n then
                Native.lrbs_net_dispose h
                h <- 0n

    /// Builds the members with Keras-default initialisation (glorot_uniform kernels, zero
    /// biases), member k drawn from a generator seeded with seeds[k]; seeds[k] also seeds
    /// that member's dropout masks.
    static member Create(spec: ModelSpec, loss: Loss, optimizer: OptimizerSpec, seeds: uint64[], sharedInput: bool) =
        let shapes =
            match ModelSpec.shapes spec with
            | Ok s -> s
            | Error e -> invalidArg "spec" e
        let arrays = Network.KerasArrays spec
        let optimizer =
            match OptimizerSpec.validate optimizer with
            | Ok o -> o
            | Error e -> invalidArg "optimizer" e
        let mutable o = optimizerDesc optimizer
        let layers = describe spec shapes
        let handle =
            Native.lrbs_net_create (layers, layers.Length, seeds.Length, (if sharedInput then 1 else 0), Loss.nativeKind loss, &o, seeds)
            |> Native.checkHandle
        let net = new Network(spec, loss, arrays, handle)
        seeds
        |> Array.iteri (fun k seed ->
            let rng = Rng.Derive(seed, "init")
            arrays
            |> List.iteri (fun i (name, shape) ->
                if shape.Length > 1 then
                    let receptive = if shape.Length = 4 then shape[0] * shape[1] else 1
                    let fanIn = shape[shape.Length - 2] * receptive
                    let fanOut = shape[shape.Length - 1] * receptive
                    let values = Init.uniform rng (Init.glorotLimit fanIn fanOut) (Array.fold (*) 1 shape)
                    Native.lrbs_net_write (handle, i, k, values, int64 values.Length) |> Native.checkCode |> ignore))
        net
