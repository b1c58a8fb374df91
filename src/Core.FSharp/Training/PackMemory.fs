/// The memory a pack may hold in the engine (the packed-trials issue: "K x (one trial's
/// parameters, gradients and optimizer state) + one batch of activations per member"), as a
/// bound that `lrbs bench` sets beside the engine's measured peak (Runtime.memoryPeak).
module Lrbs.Core.Training.PackMemory

open Lrbs.Core.Data
open Lrbs.Core.Models
open Lrbs.Core.Optimizers

/// Bytes: the data resident for the whole run, and what each member adds.
type Bound =
    {
        /// Train, validation and test targets in the engine (int64 labels or float32 targets). The
        /// input rows are not here: the engine reads them in place from the partitions (Trainer's
        /// Resident), so they are the data's own memory, not the engine's; the rows of a stripped
        /// constant prefix (ConstantPrefix) are new memory, and are here.
        Data: int64
        /// Parameters, their gradients and the optimizer's state (its kind's StateSlots values per
        /// parameter, Optimizers/Kinds.fs, checked against the engine at load), float32.
        State: int64
        /// One batch: its input rows, what each layer's forward pass keeps for the backward pass
        /// (Dense and Conv2D their output before and after the activation, Dropout its output and
        /// mask, MaxPool its output and the positions of the maxima, Flatten its output) and as
        /// much again for the gradients, and the largest convolution's unfolded input (im2col).
        Activations: int64
        /// The member's shuffle order of the training rows (int64 each).
        Order: int64
        /// Evaluation (validation and test) of Network.EvaluationChunk rows per pass, split among
        /// the members (chunk / K rows each, src/Native/net/net.cpp): the rows (twice: members
        /// with their own inputs get a copy), what each layer's forward pass keeps for them and
        /// the largest unfolded convolution input, whatever K.
        Evaluation: int64
    }

    /// The bound for K members: the issue's K x (state) + one batch of activations per member,
    /// plus the data, the shuffle orders and one evaluation pass, which any trial also holds.
    member b.Total(members: int) = b.Data + b.Evaluation + int64 members * (b.State + b.Activations + b.Order)

let private slots (o: OptimizerSpec) = int64 (o.Kind.StateSlots o.Settings)

let private rows (d: Dataset) =
    let targets =
        match d.Targets with
        | Targets.Classes _ -> 8L
        | Targets.MultiLabel(_, names) -> 4L * int64 names.Length
        | Targets.Boxes _ -> 16L

    int64 d.Count * targets

/// The bound for one trial configuration on its data (the model as the catalog builds it).
let bound (c: TrialConfig) (data: SplitData) : Result<Bound, string> =
    TrialConfig.modelSpec c data.Train.Input (Dataset.head data.Train)
    |> Result.bind (fun spec ->
        ModelSpec.parameterCount spec
        |> Result.bind (fun parameters ->
            ModelSpec.shapes spec
            |> Result.map (fun shapes ->
                // bytes a forward pass keeps per example (each layer's definition says, LayerDef.Kept),
                // and the largest temporary of any layer (a convolution's unfolded input)
                let inputs = List.take spec.Layers.Length shapes
                let outputs = List.map3 (fun (l: Layer) i o -> l.Def.Kept l.Args i o) spec.Layers inputs (List.tail shapes) |> List.sum

                let workspace =
                    List.map3 (fun (l: Layer) i o -> l.Def.Workspace l.Args i o) spec.Layers inputs (List.tail shapes) |> List.fold max 0L

                let largest = max data.Test.Count (data.Validation |> Option.map (fun v -> v.Count) |> Option.defaultValue 0)
                let chunk = min Network.EvaluationChunk (int64 largest)
                // a stripped constant prefix keeps its output rows beside the data (ConstantPrefix)
                let all = data.Train.Count + data.Test.Count + (data.Validation |> Option.map (fun v -> v.Count) |> Option.defaultValue 0)
                let prefix = ConstantPrefix.stripped spec |> Option.map (fun f -> 4L * int64 f * int64 all) |> Option.defaultValue 0L

                {
                    Data = rows data.Train + rows data.Test + (data.Validation |> Option.map rows |> Option.defaultValue 0L) + prefix
                    State = 4L * int64 parameters * (2L + slots (TrialConfig.optimizerSpec c))
                    Activations = int64 c.BatchSize * (4L * int64 data.Train.Input.Size + 2L * outputs + 4L * workspace)
                    Order = 8L * int64 data.Train.Count
                    Evaluation = chunk * (8L * int64 data.Train.Input.Size + outputs + 4L * workspace)
                })))
