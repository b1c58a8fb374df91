/// "Did you mean ...?" for every closed set of names a user types: trial keys, sweep keys, layer
/// kinds and their keys, datasets, optimizers, activations, command-line options. One home, so
/// that every message suggests the same way.
module Lrbs.Core.Suggest

open System

/// Names people bring from other tools for what lrbs spells otherwise (Keras's `epochs`, a
/// learning rate written out, ...): the key they mean.
let private aliases =
    dict
        [
            "epochs", "max_epochs"
            "epoch", "max_epochs"
            "learning_rate", "lr"
            "learning-rate", "lr"
            "learningrate", "lr"
            "batch", "batch_size"
            "batchsize", "batch_size"
            "bs", "batch_size"
            "seeds", "repeats"
            "optim", "optimizer"
            "lr_schedule", "schedule"
            "patience", "early_stopping_patience"
            "kernelsize", "kernel"
            "poolsize", "pool"
            "strides", "stride"
        ]

/// Edit distance with adjacent transpositions.
let private distance (a: string) (b: string) =
    let d =
        Array2D.init (a.Length + 1) (b.Length + 1) (fun i j ->
            if i = 0 then j
            elif j = 0 then i
            else 0)

    for i in 1 .. a.Length do
        for j in 1 .. b.Length do
            d[i, j] <- min (min (d[i - 1, j] + 1) (d[i, j - 1] + 1)) (d[i - 1, j - 1] + (if a[i - 1] = b[j - 1] then 0 else 1))
            // two neighbours swapped count as one edit (optimal string alignment)
            if i > 1 && j > 1 && a[i - 1] = b[j - 2] && a[i - 2] = b[j - 1] then
                d[i, j] <- min d[i, j] (d[i - 2, j - 2] + 1)

    d[a.Length, b.Length]

/// A name without case, leading dashes, '-' or '_': `--Batch-Size` and `batch_size` are one.
let private plain (s: string) = s.TrimStart('-').Replace("-", "").Replace("_", "").ToLowerInvariant()

/// The allowed name `name` most likely means, if any: the same name written otherwise (case,
/// '-' or '_'), a known alias, one within edit distance 3 (at most a third of its length), or
/// one whose beginning is a typo of it (`kernal` for `kernel_size`).
let nearest (name: string) (allowed: string seq) : string option =
    let allowed = allowed |> Seq.distinct |> List.ofSeq
    let byPlain = allowed |> List.tryFind (fun a -> plain a = plain name)

    let alias =
        match aliases.TryGetValue(plain name) with
        | true, target -> allowed |> List.tryFind (fun a -> plain a = plain target)
        | _ -> None

    let limit = min 3 (max 1 ((plain name).Length / 3))

    let close =
        allowed
        |> List.map (fun a -> a, distance (plain name) (plain a))
        |> List.filter (fun (_, d) -> d <= limit)
        |> List.sortBy snd
        |> List.tryHead
        |> Option.map fst

    let prefix =
        let p = plain name

        if p.Length < 4 then
            None
        else
            allowed
            |> List.filter (fun a -> (plain a).Length > p.Length && distance p ((plain a).Substring(0, p.Length)) <= 1)
            |> List.tryHead

    byPlain |> Option.orElse alias |> Option.orElse close |> Option.orElse prefix

/// " (did you mean 'x'?)", or "" when nothing is near.
let hint (name: string) (allowed: string seq) =
    match nearest name allowed with
    | Some best when best <> name -> $" (did you mean '{best}'?)"
    | _ -> ""
