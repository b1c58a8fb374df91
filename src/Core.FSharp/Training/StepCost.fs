/// The arithmetic of one training step of a trial, what the bench's roofline compares with this
/// machine's bounds (Engine/Roofline.fs). For a batch of B examples, a model of P weights (every
/// array: state included) whose layers cost C per example (LayerDef.Cost, summed by
/// ModelSpec.cost), an output of K values and an optimizer with s state slots per weight:
/// - FLOPs = B (C.Forward + C.Backward + 5 K) + P (2 + 5 s): the loss and its gradient about 5
///   per output value (softmax cross-entropy: exp, sum, log, difference), the update 2 per weight
///   plus 5 per state slot (SGD 2, Adam 12): estimates, stated as such;
/// - bytes = B (C.Bytes + 4 I) + 4 P (6 + 2 s): the layers' activations, the batch's I input
///   values gathered, the weights read forward and backward, the gradient written and read, the
///   weights and each state slot read and written by the update;
/// - working set = 4 P (2 + s) + B (C.Bytes / 2 + 4 I): what one step touches, which decides the
///   cache level that serves it.
module Lrbs.Core.Training.StepCost

open Lrbs.Core.Models
open Lrbs.Core.Data

type StepCost = { Flops: float; Bytes: float; WorkingSet: float }

/// The step cost of a trial on its data's shapes.
let ofTrial (c: TrialConfig) (input: Shape) (head: Lrbs.Core.Models.Catalog.Head) : Result<StepCost, string> =
    TrialConfig.modelSpec c input head
    |> Result.bind (fun spec ->
        ModelSpec.cost spec
        |> Result.bind (fun cost ->
            ModelSpec.parameterCount spec
            |> Result.bind (fun parameters ->
                ModelSpec.outputOf spec
                |> Result.map (fun output ->
                    let o = TrialConfig.optimizerSpec c
                    let s = float (o.Kind.StateSlots o.Settings)
                    let b, p, k, i = float c.BatchSize, float parameters, float output.Size, float input.Size

                    {
                        Flops = b * (cost.Forward + cost.Backward + 5.0 * k) + p * (2.0 + 5.0 * s)
                        Bytes = b * (cost.Bytes + 4.0 * i) + 4.0 * p * (6.0 + 2.0 * s)
                        WorkingSet = 4.0 * p * (2.0 + s) + b * (cost.Bytes / 2.0 + 4.0 * i)
                    }))))

/// The step cost of a trial on its prepared data.
let ofData (c: TrialConfig) (data: SplitData) = ofTrial c data.Train.Input (Dataset.head data.Train)
