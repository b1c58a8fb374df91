namespace Lrbs.Core.Training

open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers

/// One batch in Keras's layout: inputs (N, H, W, C) or (N, F); targets (N, k) as floats
/// (one-hot for the cross-entropies).
type KerasBatch =
    { X: float32[]
      XShape: int[]
      Y: float32[]
      YShape: int[] }

/// What a few optimizer steps did: the loss at every step (before its update), the
/// gradients of the first step and the weights after the last, all in Keras's layout.
type StepTrace =
    { Losses: float[]
      FirstGradients: KerasWeight list
      FinalWeights: KerasWeight list }

/// Replays given batches with given learning rates from given weights, for parity checks.
module StepTrace =
    let private toEngine (b: KerasBatch) (loss: Loss) =
        let x =
            let t = T.ofFloat32 (Array.map int64 b.XShape) b.X
            if b.XShape.Length = 4 then T.permute [| 0L; 3L; 1L; 2L |] t else t // NHWC -> NCHW
        let y =
            match loss with
            | Loss.CrossEntropy
            | Loss.CrossEntropyLogits ->
                let k = b.YShape[1]
                T.ofInt64 [| int64 b.YShape[0] |] (Array.init b.YShape[0] (fun i -> int64 (Metrics.argmaxRow b.Y k i)))
            | _ -> T.ofFloat32 (Array.map int64 b.YShape) b.Y
        x, y

    /// Runs one step per (batch, lr) pair with the engine's optimizer `make`.
    let runWith (make: Tensor[] -> Optimizer) (spec: ModelSpec) (weights: KerasWeight list) (loss: Loss) (steps: (KerasBatch * float) list) =
        use net = Network.Create(spec, 0UL)
        net.SetKerasWeights weights
        use opt = make net.Parameters
        let mutable first = []
        let losses =
            steps
            |> List.mapi (fun i (batch, lr) ->
                use _ = new Scope()
                let x, y = toEngine batch loss
                let l = Loss.compute loss (net.Forward(x, true)) y
                T.backward l
                if i = 0 then first <- net.GetKerasGradients()
                opt.Step lr
                l.Item)
            |> Array.ofList
        { Losses = losses; FirstGradients = first; FinalWeights = net.GetKerasWeights() }

    /// Runs with the named optimizer spec.
    let run (optimizer: OptimizerSpec) spec weights loss steps = runWith (Factory.create optimizer) spec weights loss steps
