namespace Lrbs.Core.Training

open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers

/// One batch in Keras's layout: inputs (N, H, W, C) or (N, F); targets (N, k) as floats
/// (one-hot for the cross-entropies).
type KerasBatch = { X: float32[]; XShape: int[]; Y: float32[]; YShape: int[] }

/// What a few optimizer steps did: the loss at every step (before its update), the
/// gradients of the first step and the weights after the last, all in Keras's layout.
type StepTrace = { Losses: float[]; FirstGradients: KerasWeight[]; FinalWeights: KerasWeight[] }

/// Replays given batches with given learning rates from given weights, through the same
/// training step every trial runs (Step.run), for the parity checks.
module StepTrace =
    let private toEngine (b: KerasBatch) (loss: Loss) =
        let x =
            if b.XShape.Length = 4 then
                let s = b.XShape
                T.ofFloat32 [| int64 s[0]; int64 s[3]; int64 s[1]; int64 s[2] |] (Layout.channelsFirst (fun i -> b.X[i]) s[0] s[1] s[2] s[3])
            else
                T.ofFloat32 (Array.map int64 b.XShape) b.X

        let y =
            match loss with
            | Loss.CrossEntropy _ ->
                let k = b.YShape[1]
                T.ofInt64 [| int64 b.YShape[0] |] (Array.init b.YShape[0] (fun i -> int64 (Metrics.argmaxRow b.Y k i)))
            | _ -> T.ofFloat32 (Array.map int64 b.YShape) b.Y

        x, y

    /// Runs one step per (batch, lr) pair with the given optimizer and loss.
    let run (optimizer: OptimizerSpec) (spec: ModelSpec) (loss: Loss) (weights: KerasWeight list) (steps: (KerasBatch * float) list) =
        use net = Network.Create(spec, loss, optimizer, [| 0UL |], true)
        net.SetKerasWeights(0, weights)
        let mutable first = []

        let losses =
            steps
            |> List.mapi (fun i (batch, lr) ->
                use _ = new Scope()
                let x, y = toEngine batch loss
                Step.run net { X = x; Y = y; Order = None } 0 batch.XShape[0] [| lr |] 0

                if i = 0 then
                    first <- net.GetKerasGradients 0

                (net.LastLoss())[0])
            |> Array.ofList

        { Losses = losses; FirstGradients = Array.ofList first; FinalWeights = Array.ofList (net.GetKerasWeights 0) }
