namespace Lrbs.Core.Data

open System
open Lrbs.Core.Models

/// What a dataset asks the model to predict.
[<RequireQualifiedAccess>]
type Targets =
    /// One class id per example, with the class names.
    | Classes of labels: int[] * names: string[]
    /// k binary labels per example (0/1), row-major, with the label names.
    | MultiLabel of values: float32[] * names: string[]
    /// (x1, y1, x2, y2) in [0, 1] per example, row-major.
    | Boxes of values: float32[]

/// The kind of target a dataset has (known from its name, before any data is read).
[<RequireQualifiedAccess>]
type TargetKind =
    | Classes
    | MultiLabel
    | Boxes

/// A dataset in memory: inputs as float32 (N x C x H x W, or N x F), scaled as
/// the study asks, and its targets. `OfficialTrain` marks the first rows that form
/// the publisher's training partition (the rest is its test partition).
type Dataset = { Name: string; Input: Shape; X: float32[]; Targets: Targets; Count: int; OfficialTrain: int option }

/// A problem with data on disk: the file and what is wrong with it.
type DataError =
    | Missing of path: string * hint: string
    | Malformed of path: string * problem: string
    | Unknown of name: string * allowed: string list

    member e.Message =
        match e with
        | Missing(p, hint) -> $"data file not found: {p}" + (if hint = "" then "" else $" ({hint})")
        | Malformed(p, problem) -> $"{p}: {problem}"
        | Unknown(n, allowed) -> $"""unknown dataset '{n}'{Lrbs.Core.Suggest.hint n allowed}; allowed: {String.concat ", " allowed}"""

module Dataset =
    /// The model head that fits the targets.
    let head (d: Dataset) =
        match d.Targets with
        | Targets.Classes(_, names) -> Catalog.Classes names.Length
        | Targets.MultiLabel(_, names) -> Catalog.MultiLabel names.Length
        | Targets.Boxes _ -> Catalog.Box

    /// Per-feature minimum and maximum of a flat dataset (fitted on the training part).
    let minMax (d: Dataset) =
        let f = d.Input.Size
        let lo = Array.create f Single.PositiveInfinity
        let hi = Array.create f Single.NegativeInfinity

        for i in 0 .. d.Count - 1 do
            for j in 0 .. f - 1 do
                let v = d.X[i * f + j]
                lo[j] <- min lo[j] v
                hi[j] <- max hi[j] v

        lo, hi

    /// (x - min) / (max - min) per feature with another part's statistics; a constant feature becomes 0.
    let scaleWith (lo: float32[], hi: float32[]) (d: Dataset) =
        let f = d.Input.Size

        { d with
            X = d.X |> Array.mapi (fun k v -> let j = k % f in if hi[j] > lo[j] then (v - lo[j]) / (hi[j] - lo[j]) else 0.0f)
        }
