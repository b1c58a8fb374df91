/// The constant part of a network: its leading layers without weights and without randomness
/// (S7's first max-pool turns each 128x128 image into 64x64 before anything learns) see the same
/// input in every epoch and every trial of a dataset, so their output is a function of the rows
/// alone. Training computes it once per partition and trains the rest of the network on it.
///
/// Exact by construction: the prefix runs through the engine's own layers (a network of the
/// prefix alone, forward only), so every value is what the whole network computes there, and no
/// gradient flows into a layer without weights; a test shows the losses bit for bit the same
/// with and without it. The cache lives in the process, keyed by the partition (its array) and
/// the prefix's canonical layers: computing the prefix of S7's 10,000 images takes well under a
/// second, less than reading a stored copy of its 164 MB would.
module Lrbs.Core.Training.ConstantPrefix

open System.Runtime.CompilerServices
open System.Collections.Concurrent
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Data
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers

/// How many leading layers of a model are constant: no weights, no randomness; at least one
/// layer is always left to train.
let length (spec: ModelSpec) =
    match ModelSpec.layerShapes spec with
    | Error _ -> 0
    | Ok layers ->
        layers
        |> List.takeWhile (fun (l, input, _) -> List.isEmpty (l.Def.Weights l.Args input) && not l.Def.Random)
        |> List.length
        |> min (spec.Layers.Length - 1)

/// The rest of a model after its first `k` layers, on their output.
let rest (k: int) (spec: ModelSpec) : ModelSpec =
    let shapes = ModelSpec.shapes spec |> Result.defaultWith (fun e -> invalidArg "spec" e)
    { spec with Input = shapes[k]; Layers = List.skip k spec.Layers }

let private cache = ConditionalWeakTable<float32[], ConcurrentDictionary<string, Dataset>>()

/// A dataset's rows through the first `k` layers of `spec`, computed by the engine (a forward
/// pass of those layers alone, 1,024 rows at a time).
let private compute (k: int) (spec: ModelSpec) (d: Dataset) =
    let prefix = { spec with Layers = List.take k spec.Layers }
    let output: Shape = ModelSpec.outputOf prefix |> Result.defaultWith (fun e -> invalidArg "spec" e)

    let shape (rows: int) =
        match d.Input with
        | Shape.Vector f -> [| int64 rows; int64 f |]
        | Shape.Image(c, h, w) -> [| int64 rows; int64 c; int64 h; int64 w |]

    let inSize, outSize = d.Input.Size, output.Size
    let x = Array.zeroCreate<float32>(d.Count * outSize)
    let chunk = int Network.EvaluationChunk

    for start in 0..chunk .. d.Count - 1 do
        let rows = min chunk (d.Count - start)
        use input = T.ofFloat32 (shape rows) d.X[start * inSize .. (start + rows) * inSize - 1]
        use out = Network.ForwardConstant(prefix, input)
        let values = out.ToArray()

        if values.Length <> rows * outSize then
            failwith $"the constant prefix gave {values.Length} values for {rows} rows of {output}"

        Array.blit values 0 x (start * outSize) values.Length

    { d with Input = output; X = x }

/// A dataset through the constant prefix of `spec` (`k` = length spec layers), from this
/// process's cache when it was computed before.
let rows (k: int) (spec: ModelSpec) (d: Dataset) =
    let key = spec.Input.ToString() + " | " + ModelSpec.canonicalLayers { spec with Layers = List.take k spec.Layers }
    cache.GetOrCreateValue(d.X).GetOrAdd(key, fun _ -> compute k spec d)

/// Whether training strips the constant prefix (on unless a test or the bench turns it off to
/// compare: the results are the same either way).
let enabled = ref true

/// The model to train and the data it trains on: the rest of `spec` on its partitions' rows
/// through the constant prefix, or both as they are when there is none, or when the prefix does
/// not shrink the rows (a flatten alone: its output is as large as its input, so a cached copy
/// would double the data's memory to save one copy of a batch per step).
/// The floats per example of the prefix's output where training strips it (it shrinks the rows),
/// else None.
let stripped (spec: ModelSpec) =
    let k = length spec

    match ModelSpec.shapes spec with
    | Ok s when k > 0 && s[k].Size < s[0].Size -> Some s[k].Size
    | _ -> None

let strip (spec: ModelSpec) (data: SplitData) : ModelSpec * SplitData =
    let k = length spec

    if (stripped spec).IsNone then
        spec, data
    else
        let through = rows k spec
        rest k spec, { data with Train = through data.Train; Test = through data.Test; Validation = data.Validation |> Option.map through }
