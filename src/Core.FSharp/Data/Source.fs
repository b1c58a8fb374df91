namespace Lrbs.Core.Data

open System
open System.Threading.Tasks
open Lrbs.Core.Models

/// A loaded dataset whose input rows are written out in float32 only when asked: a split
/// materialises just the rows each partition keeps, straight from the loader's own storage
/// (the IDX files' pixel bytes, the boxes' rectangles). So the whole dataset never exists in
/// float32 beside its partitions, and rows a `train_limit` drops are never scaled at all.
type Source =
    {
        Name: string
        Input: Shape
        Count: int
        Targets: Targets
        /// The first rows that form the publisher's training partition (the rest is its test partition).
        OfficialTrain: int option
        /// Writes row `i`'s Input.Size values into `into` from `offset` (every value of the row).
        WriteRow: int -> float32[] -> int -> unit
    }

module Source =
    /// A dataset already in float32 (loaders that scale as they read: CSV, image folders).
    let ofDataset (d: Dataset) =
        let size = d.Input.Size

        {
            Name = d.Name
            Input = d.Input
            Count = d.Count
            Targets = d.Targets
            OfficialTrain = d.OfficialTrain
            WriteRow = fun i into offset -> Array.Copy(d.X, i * size, into, offset, size)
        }

    /// The targets of the rows at `indices`, in that order (a copy).
    let private takeTargets (indices: int[]) (targets: Targets) =
        let rows (values: float32[]) width =
            let out = Array.zeroCreate<float32>(indices.Length * width)
            indices |> Array.iteri (fun k i -> Array.Copy(values, i * width, out, k * width, width))
            out

        match targets with
        | Targets.Classes(labels, names) -> Targets.Classes(indices |> Array.map (fun i -> labels[i]), names)
        | Targets.MultiLabel(v, names) -> Targets.MultiLabel(rows v names.Length, names)
        | Targets.Boxes v -> Targets.Boxes(rows v 4)

    /// The rows at `indices`, in that order, as a dataset of their own (written in parallel
    /// blocks; each row's values do not depend on how the work is divided).
    let take (indices: int[]) (s: Source) : Dataset =
        let size = s.Input.Size
        let x = Array.zeroCreate<float32>(indices.Length * size)
        let block = 1024
        let blocks = (indices.Length + block - 1) / block

        Parallel.For(
            0,
            blocks,
            ParallelOptions(MaxDegreeOfParallelism = Environment.ProcessorCount),
            fun b ->
                for k in b * block .. min indices.Length ((b + 1) * block) - 1 do
                    let i = indices[k]

                    if i < 0 || i >= s.Count then
                        raise (ArgumentOutOfRangeException("indices", i, $"{s.Name} has rows 0..{s.Count - 1}"))

                    s.WriteRow i x (k * size)
        )
        |> ignore

        {
            Name = s.Name
            Input = s.Input
            X = x
            Targets = takeTargets indices s.Targets
            Count = indices.Length
            OfficialTrain = None
        }

    /// The rows at `indices` of a dataset already in float32, in that order (a copy).
    let rowsOf (indices: int[]) (d: Dataset) = take indices (ofDataset d)

    /// Every row, as the loader orders them.
    let all (s: Source) : Dataset = { take (Array.init s.Count id) s with OfficialTrain = s.OfficialTrain }
