namespace Lrbs.Core.Data

open Lrbs.Core.Engine

/// How a dataset is divided into train / validation / test.
[<RequireQualifiedAccess>]
type Split =
    /// The publisher's own train/test partition (e.g. Fashion-MNIST 60k/10k).
    | Official
    /// Pool every row, shuffle with the seed, take fractions for train and validation;
    /// the rest is test (0.8, 0.0 = 80/20; 0.8, 0.1 = 80/10/10).
    | Pooled of train: float * validation: float

/// The partitions a trial uses.
type SplitData =
    { Train: Dataset
      Validation: Dataset option
      Test: Dataset }

module Split =
    /// Index sets (train, validation, test) for a split of n rows; pure and seeded.
    let indices (split: Split) (seed: uint64) (n: int) (officialTrain: int option) : Result<int[] * int[] * int[], string> =
        match split with
        | Split.Official ->
            match officialTrain with
            | Some k -> Ok([| 0 .. k - 1 |], [||], [| k .. n - 1 |])
            | None -> Error "this dataset has no official train/test split; use a pooled split (e.g. --split 80/20)"
        | Split.Pooled(tr, va) when tr <= 0.0 || va < 0.0 || tr + va >= 1.0 ->
            Error $"a pooled split needs train > 0, validation >= 0 and train + validation < 1; got {tr}, {va}"
        | Split.Pooled(tr, va) ->
            let perm = Rng.Derive(seed, "split").Permutation n
            let nTrain = int (round (tr * float n))
            let nVal = int (round (va * float n))
            Ok(perm[.. nTrain - 1], perm[nTrain .. nTrain + nVal - 1], perm[nTrain + nVal ..])

    /// Applies a split to a dataset.
    let apply (split: Split) (seed: uint64) (d: Dataset) : Result<SplitData, string> =
        indices split seed d.Count d.OfficialTrain
        |> Result.map (fun (tr, va, te) ->
            { Train = Dataset.take tr d
              Validation = (if va.Length = 0 then None else Some(Dataset.take va d))
              Test = Dataset.take te d })

    /// Parses "official", "80/20" or "80/10/10".
    let parse (text: string) : Result<Split, string> =
        let parts = text.Split('/')
        match text.ToLowerInvariant(), parts |> Array.map System.Int32.TryParse with
        | "official", _ -> Ok Split.Official
        | _, [| (true, a); (true, b) |] when a > 0 && b > 0 && a + b = 100 -> Ok(Split.Pooled(float a / 100.0, 0.0))
        | _, [| (true, a); (true, b); (true, c) |] when a > 0 && b > 0 && c > 0 && a + b + c = 100 ->
            Ok(Split.Pooled(float a / 100.0, float b / 100.0))
        | _ -> Error $"unknown split '{text}'; allowed: official, TRAIN/TEST or TRAIN/VAL/TEST in percent summing to 100 (e.g. 80/20, 80/10/10)"

    let describe =
        function
        | Split.Official -> "official"
        | Split.Pooled(t, 0.0) -> $"{round (t * 100.0)}/{round ((1.0 - t) * 100.0)}"
        | Split.Pooled(t, v) -> $"{round (t * 100.0)}/{round (v * 100.0)}/{round ((1.0 - t - v) * 100.0)}"
