namespace Lrbs.Core.Models

open System
open Lrbs.Core.Engine

/// One weight array in Keras's layout (Dense kernel (in, out); Conv2D kernel
/// (kh, kw, in, out); biases (out)), used to save, load and compare weights.
type KerasWeight =
    { Name: string
      Shape: int[]
      Values: float32[] }

/// The output of a forward pass: the last layer before its activation, and after.
type ForwardOutput =
    { PreActivation: Tensor
      Output: Tensor }

/// A model built from its spec: owns its parameter tensors (NCHW layout inside).
type Network private (spec: ModelSpec, shapes: Shape list, parameters: Tensor[]) =
    /// Parameters of layer i (kernel, bias) or empty, in layer order.
    let layerParams =
        let mutable next = 0
        spec.Layers
        |> List.map (fun l ->
            match l with
            | Layer.Dense _
            | Layer.Conv2D _ ->
                next <- next + 2
                [| parameters[next - 2]; parameters[next - 1] |]
            | _ -> [||])
        |> Array.ofList

    static let activate (a: Activation) (x: Tensor) =
        match a with
        | Activation.Linear -> x
        | Activation.Relu -> T.relu x
        | Activation.Sigmoid -> T.sigmoid x
        | Activation.Softmax -> T.softmax 1 x

    /// Keras-layout shapes of each parameter, in order.
    static let kerasShapes (spec: ModelSpec) (shapes: Shape list) =
        List.zip (List.take spec.Layers.Length shapes) spec.Layers
        |> List.indexed
        |> List.collect (fun (i, (input, layer)) ->
            match layer, input with
            | Layer.Dense(u, _), s -> [ $"dense{i}/kernel", [| s.Size; u |]; $"dense{i}/bias", [| u |] ]
            | Layer.Conv2D(f, k, _, _, _), Shape.Image(c, _, _) ->
                [ $"conv{i}/kernel", [| k; k; c; f |]; $"conv{i}/bias", [| f |] ]
            | _ -> [])

    /// Uploads one Keras-layout array as a trainable tensor in our layout.
    static let upload (shape: int[]) (values: float32[]) =
        let t =
            if shape.Length = 4 then
                use k = T.ofFloat32 (Array.map int64 shape) values
                T.permute [| 3L; 2L; 0L; 1L |] k // (kh,kw,in,out) -> (out,in,kh,kw)
            else
                T.ofFloat32 (Array.map int64 shape) values
        T.requiresGrad t
        t.Detach()

    member _.Spec = spec
    member _.Parameters = parameters

    /// Runs the model on a batch (N, C, H, W) or (N, F).
    member _.Forward(x: Tensor, training: bool) : ForwardOutput =
        let mutable h = x
        let mutable pre = x
        List.zip (List.take spec.Layers.Length shapes) spec.Layers
        |> List.iteri (fun i (input, layer) ->
            let p = layerParams[i]
            match layer with
            | Layer.Dense(_, a) ->
                pre <- T.linear h p[0] p[1]
                h <- activate a pre
            | Layer.Conv2D(_, k, s, pad, a) ->
                let (oh, (top, bottom)), (ow, (left, right)) =
                    match input with
                    | Shape.Image(_, hh, ww) -> ModelSpec.convAxis pad hh k s, ModelSpec.convAxis pad ww k s
                    | _ -> failwith "unreachable: conv on vector input"
                ignore (oh, ow)
                pre <- T.conv2d h p[0] p[1] s (top, bottom, left, right)
                h <- activate a pre
            | Layer.MaxPool2D pool -> h <- T.maxPool2d pool pool h
            | Layer.Flatten ->
                let n = h.Shape[0]
                match input with
                | Shape.Image(c, _, _) when c > 1 -> h <- T.permute [| 0L; 2L; 3L; 1L |] h |> T.reshape [| n; -1L |]
                | _ -> h <- T.reshape [| n; -1L |] h
            | Layer.Dropout r -> if training && r > 0.0 then h <- T.dropout r true h)
        { PreActivation = pre; Output = h }

    /// Keras-layout copies of one tensor per parameter (the parameter itself, or its gradient).
    member private _.ToKeras(select: Tensor -> Tensor) : KerasWeight list =
        List.zip (kerasShapes spec shapes) (List.ofArray parameters)
        |> List.map (fun ((name, shape), p) ->
            use _ = new Scope()
            let t = select p
            let values = if shape.Length = 4 then (T.permute [| 2L; 3L; 1L; 0L |] t).ToArray() else t.ToArray() // (out,in,kh,kw) -> (kh,kw,in,out)
            { Name = name; Shape = shape; Values = values })

    /// The weights in Keras's layout and order.
    member this.GetKerasWeights() : KerasWeight list = this.ToKeras id

    /// The gradients of the last backward pass in Keras's layout (zeros where there is none).
    member this.GetKerasGradients() : KerasWeight list =
        this.ToKeras(fun p -> match T.grad p with Some g -> g | None -> T.zeros p.Shape)

    /// Replaces the weights with Keras-layout arrays (shapes must match).
    member _.SetKerasWeights(weights: KerasWeight list) =
        let expected = kerasShapes spec shapes
        if weights.Length <> expected.Length then
            invalidArg "weights" $"model has {expected.Length} weight arrays, got {weights.Length}"
        use _ = new NoGrad()
        List.zip3 expected weights (List.ofArray parameters)
        |> List.iter (fun ((name, shape), w, p) ->
            if w.Shape <> shape then invalidArg "weights" $"{name}: expected shape %A{shape}, got %A{w.Shape}"
            use src = upload shape w.Values
            T.copyInPlace p src)

    interface IDisposable with
        member _.Dispose() =
            for p in parameters do
                (p :> IDisposable).Dispose()

    /// Builds the model with Keras-default initialisation (glorot_uniform kernels,
    /// zero biases) drawn from a generator seeded with `seed`.
    static member Create(spec: ModelSpec, seed: uint64) =
        let shapes =
            match ModelSpec.shapes spec with
            | Ok s -> s
            | Error e -> invalidArg "spec" e
        let rng = Rng.Derive(seed, "init")
        let parameters =
            kerasShapes spec shapes
            |> List.map (fun (_, shape) ->
                let n = Array.fold (*) 1 shape
                let values =
                    if shape.Length = 1 then
                        Array.zeroCreate n
                    else
                        let receptive = if shape.Length = 4 then shape[0] * shape[1] else 1
                        let fanIn = shape[shape.Length - 2] * receptive
                        let fanOut = shape[shape.Length - 1] * receptive
                        Init.uniform rng (Init.glorotLimit fanIn fanOut) n
                upload shape values)
            |> Array.ofList
        new Network(spec, shapes, parameters)
