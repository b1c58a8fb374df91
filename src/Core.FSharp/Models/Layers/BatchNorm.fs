/// BatchNormalization, as Keras (axis -1; momentum 0.99, epsilon 1e-3; gamma 1, beta 0, moving
/// mean 0, moving variance 1): training normalises with the batch's mean and biased variance and
/// moves the moving statistics, m = m momentum + batch (1 - momentum); evaluation uses the moving
/// ones. The moving statistics are state: never updated by the optimizer. Cost per example (n
/// values): forward 8n (mean, variance, normalise, scale and shift), backward 12n. Native:
/// src/Native/net/batch_norm.cpp.
module Lrbs.Core.Models.Layers.BatchNorm

open Lrbs.Core.Models

let def: LayerDef =
    {
        Name = "batch_norm"
        Doc = "y = gamma (x - mean) / sqrt(var + epsilon) + beta per channel; batch statistics in training, moving ones in evaluation"
        Keys =
            [
                Keys.key "momentum" (Some(Value.Number 0.99)) "the moving statistics' decay, in [0, 1)" (Keys.range 0.0 1.0)
                Keys.key "epsilon" (Some(Value.Number 1e-3)) "added to the variance, > 0" Keys.positive
            ]
        Shorthand = None
        HasActivation = false
        Random = false
        Output = fun _ input -> Ok input
        Weights =
            fun _ input ->
                let c =
                    match input with
                    | Shape.Image(c, _, _) -> c
                    | Shape.Vector n -> n

                [ Role.Gamma; Role.Beta; Role.MovingMean; Role.MovingVariance ] |> List.map (fun r -> { Role = r; Shape = [| c |] })
        Native = fun args _ -> [ "momentum", Keys.float args "momentum"; "epsilon", Keys.float args "epsilon" ]
        // its normalised input and its output
        Kept = fun _ _ output -> 8L * int64 output.Size
        Workspace = Keys.noWorkspace
        Cost = fun _ input output -> Keys.cost (8.0 * float input.Size) (12.0 * float input.Size) (8L * int64 output.Size) input output
        Tfjs =
            fun args ->
                Ok
                    {
                        Layer = "batchNormalization"
                        Config = [ "momentum", box (Keys.float args "momentum"); "epsilon", box (Keys.float args "epsilon") ]
                        Activation = None
                    }
        Probe = Ok []
    }
