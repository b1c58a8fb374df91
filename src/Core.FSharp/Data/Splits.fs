namespace Lrbs.Core.Data

open Lrbs.Core.Engine

/// How a dataset is divided into train / validation / test.
[<RequireQualifiedAccess>]
type Split =
    /// The publisher's own train/test partition (e.g. Fashion-MNIST 60k/10k).
    | Official
    /// Pool every row, shuffle with the data seed, take fractions for train and validation;
    /// the rest is test (0.8, 0.0 = 80/20; 0.8, 0.1 = 80/10/10).
    | Pooled of train: float * validation: float

/// The partitions a trial uses.
type SplitData = { Train: Dataset; Validation: Dataset option; Test: Dataset }

module Split =
    /// Index sets (train, validation, test) for a split of n rows; pure and seeded. With a
    /// pool of N, a seeded draw of N rows is split instead of all n.
    let indices (split: Split) (seed: uint64) (pool: int option) (n: int) (officialTrain: int option) : Result<int[] * int[] * int[], string> =
        match split, pool with
        | Split.Official, Some _ -> Error "a pool is split by a pooled split, not the official one"
        | Split.Official, None ->
            match officialTrain with
            | Some k -> Ok([| 0 .. k - 1 |], [||], [| k .. n - 1 |])
            | None -> Error "this dataset has no official train/test split; use a pooled split (e.g. split 80/20)"
        | Split.Pooled(tr, va), _ when tr <= 0.0 || va < 0.0 || tr + va >= 1.0 ->
            Error $"a pooled split needs train > 0, validation >= 0 and train + validation < 1; got {tr}, {va}"
        | Split.Pooled _, Some p when p > n -> Error $"pool {p} is larger than the dataset ({n} rows)"
        | Split.Pooled(tr, va), _ ->
            let rows =
                match pool with
                | Some p -> (Rng.Derive(seed, "pool").Permutation n)[.. p - 1]
                | None -> [| 0 .. n - 1 |]

            let m = rows.Length
            let perm = Rng.Derive(seed, "split").Permutation m |> Array.map (fun i -> rows[i])
            let nTrain = int (round (tr * float m))
            let nVal = int (round (va * float m))
            Ok(perm[.. nTrain - 1], perm[nTrain .. nTrain + nVal - 1], perm[nTrain + nVal ..])

    /// Applies a split to a source; `trainLimit` keeps only the first rows of the training part.
    /// Each partition's rows are written once, straight from the source: rows no partition
    /// keeps are never scaled.
    /// The partitions of `s`: `trainLimit` keeps the first N training rows; `testLimit` a seeded
    /// draw of N test rows (by `seed` and the partition, in their partition order).
    let apply (split: Split) (seed: uint64) (pool: int option) (trainLimit: int option) (testLimit: int option) (s: Source) : Result<SplitData, string> =
        indices split seed pool s.Count s.OfficialTrain
        |> Result.map (fun (tr, va, te) ->
            let tr =
                match trainLimit with
                | Some n when n < tr.Length -> tr[.. n - 1]
                | _ -> tr

            let te =
                match testLimit with
                | Some n when n < te.Length ->
                    let order = (Lrbs.Core.Engine.Rng.Derive(seed, "test_limit")).Permutation te.Length
                    order[.. n - 1] |> Array.sort |> Array.map (fun i -> te[i])
                | _ -> te

            {
                Train = Source.take tr s
                Validation = (if va.Length = 0 then None else Some(Source.take va s))
                Test = Source.take te s
            })

    /// Parses "official", "80/20" or "80/10/10".
    let parse (text: string) : Result<Split, string> =
        let parts = text.Split('/')

        match text.ToLowerInvariant(), parts |> Array.map System.Int32.TryParse with
        | "official", _ -> Ok Split.Official
        | _, [| (true, a); (true, b) |] when a > 0 && b > 0 && a + b = 100 -> Ok(Split.Pooled(float a / 100.0, 0.0))
        | _, [| (true, a); (true, b); (true, c) |] when a > 0 && b > 0 && c > 0 && a + b + c = 100 -> Ok(Split.Pooled(float a / 100.0, float b / 100.0))
        | _ -> Error $"unknown split '{text}'; allowed: official, TRAIN/TEST or TRAIN/VAL/TEST in percent summing to 100 (e.g. 80/20, 80/10/10)"

    let describe =
        function
        | Split.Official -> "official"
        | Split.Pooled(t, 0.0) -> $"{round (t * 100.0)}/{round ((1.0 - t) * 100.0)}"
        | Split.Pooled(t, v) -> $"{round (t * 100.0)}/{round (v * 100.0)}/{round ((1.0 - t - v) * 100.0)}"
