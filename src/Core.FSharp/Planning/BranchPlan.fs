/// A branched study (Merrill, Arora, Groeneveld and Hajishirzi 2025, "Critical Batch Size
/// Revisited", arXiv 2505.23971, §3.1): reference runs at a batch size B0, and from each at every
/// branch point t one branch per batch size k B0, trained for a window at a learning rate set by
/// a scaling rule; the critical batch size at t is the largest batch size whose loss keeps up
/// (Analysis/CriticalBatchDirect). The paper leaves the window, the learning-rate rule and the
/// tolerance to the user ("ϵ ... which we set to 0.01 arbitrarily"): here the window and the rule
/// are keys with no default, the tolerance defaults to the paper's 0.01, and the loss compared
/// is a named key (see `BranchLoss`).
namespace Lrbs.Core.Planning

open System
open Lrbs.Core.Schedules
open Lrbs.Core.Training

/// The loss a branch is judged by at its window's end. The paper compares training losses on a
/// stream of new tokens, which are held-out losses; over repeated epochs a training loss is not,
/// so lrbs's default is the test partition's loss at the window's end (every test row, not a
/// smoothed batch curve); `validation` needs a validation part; `train` is the window's last
/// epoch segment's mean training loss, the paper's quantity where one epoch is one pass.
[<RequireQualifiedAccess>]
type BranchLoss =
    | Test
    | Validation
    | Train

    member l.Name =
        match l with
        | Test -> "test"
        | Validation -> "validation"
        | Train -> "train"

    static member All = [ Test; Validation; Train ]

    static member Parse(text: string) =
        match BranchLoss.All |> List.tryFind (fun l -> l.Name = text) with
        | Some l -> Ok l
        | None ->
            let names = BranchLoss.All |> List.map (fun l -> l.Name)
            Error $"""unknown loss '{text}'{Lrbs.Core.Suggest.hint text names}; allowed: {String.concat ", " names}"""

/// A sweep's branch section: the branch points (epochs into the reference run), the branch batch
/// sizes (the reference's own among them: its continuation, k = 1), the window (epochs of
/// examples), the learning-rate rule from the reference batch size (None: the reference's rate),
/// the tolerance ϵ and the loss compared.
type BranchSpec = { At: float list; BatchSizes: int list; Window: float; Rule: ScalingRule option; Tolerance: float; Loss: BranchLoss }

module BranchSpec =
    /// The paper's ϵ (CriticalBatchDirect.defaultTolerance).
    let defaultTolerance = Lrbs.Core.Analysis.CriticalBatchDirect.defaultTolerance

    /// The trial keys a branch section sets for each branch: a grid over them is an error.
    let setKeys = [ "scaling"; "base_batch"; "warmup_epochs"; "branch_at"; "branch_batch"; "branch_window" ]

    /// The section's own checks, each naming its key (`at`, `batch_sizes`, `window`, `tolerance`).
    /// The checks that need a reference run (a point inside it, its batch size among the branches,
    /// a rule its optimizer has) are TrialConfig's and `branchKeys`'s.
    let check (s: BranchSpec) : Result<BranchSpec, string * string> =
        let distinct xs = List.length (List.distinct xs) = List.length xs

        if s.At.IsEmpty then
            Error("at", "give one or more branch points (epochs into the reference run, e.g. [0.1, 0.5, 1, 2])")
        elif s.At |> List.exists (fun t -> not (t > 0.0 && Double.IsFinite t)) then
            Error("at", $"""every branch point is a number of epochs > 0, got {s.At |> List.map string |> String.concat ", "}""")
        elif not (distinct s.At) then
            Error("at", "a branch point is given twice")
        elif s.BatchSizes.Length < 2 then
            Error("batch_sizes", $"a critical batch size needs two or more branch batch sizes, got {s.BatchSizes.Length}")
        elif s.BatchSizes |> List.exists (fun b -> b < 1) then
            Error("batch_sizes", "every batch size is an integer >= 1")
        elif not (distinct s.BatchSizes) then
            Error("batch_sizes", "a batch size is given twice")
        elif not (s.Window > 0.0 && Double.IsFinite s.Window) then
            Error("window", $"the window is a number of epochs > 0, got {s.Window}")
        elif not (s.Tolerance > 0.0 && Double.IsFinite s.Tolerance) then
            Error("tolerance", $"the tolerance is a loss difference > 0, got {s.Tolerance}")
        else
            Ok s

    /// The trial keys of the branch at point `at` and batch size `batch` of a reference run at
    /// `referenceBatch` (they replace the reference's batch_size): or the key at fault, when the
    /// reference's batch size is not among the branch batch sizes or one lies below it.
    let branchKeys (s: BranchSpec) (referenceBatch: int) (at: float) (batch: int) : Result<(string * string) list, string * string> =
        let r (v: float) = v.ToString("R", Globalization.CultureInfo.InvariantCulture)

        if not (List.contains referenceBatch s.BatchSizes) then
            Error(
                "batch_sizes",
                $"must hold the reference run's batch size {referenceBatch} (its own continuation, the k = 1 branch every other is compared with)"
            )
        elif s.BatchSizes |> List.exists (fun b -> b < referenceBatch) then
            Error("batch_sizes", $"every branch batch size is at least the reference run's {referenceBatch} (k >= 1)")
        else
            Ok(
                [ "batch_size", string batch; "branch_at", r at; "branch_batch", string referenceBatch; "branch_window", r s.Window ]
                @ (match s.Rule with
                   | Some rule -> [ "scaling", LrScaling.ruleName rule; "base_batch", string referenceBatch ]
                   | None -> [])
            )

    /// The settings the analysis reads back from the manifest: "tolerance=EPS, loss=NAME".
    let settingsText (s: BranchSpec) = $"""tolerance={s.Tolerance.ToString("R", Globalization.CultureInfo.InvariantCulture)}, loss={s.Loss.Name}"""

    /// The tolerance and loss of a settings text (`settingsText`), or why it does not read.
    let ofSettingsText (text: string) : Result<float * BranchLoss, string> =
        let parts =
            text.Split(',', StringSplitOptions.TrimEntries)
            |> Array.choose (fun p ->
                match p.Split('=') with
                | [| k; v |] -> Some(k, v)
                | _ -> None)
            |> Map.ofArray

        match parts.TryFind "tolerance", parts.TryFind "loss" with
        | Some t, Some l ->
            match Double.TryParse(t, Globalization.NumberStyles.Float, Globalization.CultureInfo.InvariantCulture), BranchLoss.Parse l with
            | (true, tol), Ok loss when tol > 0.0 -> Ok(tol, loss)
            | _, Error e -> Error $"branch_settings '{text}': {e}"
            | _ -> Error $"branch_settings '{text}': the tolerance is not a number > 0"
        | _ -> Error $"branch_settings '{text}': expected tolerance=EPS, loss=NAME"

    /// The steps at which each reference run saves its state for its branches, by reference id,
    /// on `rows` training rows.
    let referenceSteps (rows: int) (branches: TrialConfig seq) : Map<string, Set<int>> =
        branches
        |> Seq.choose (fun c ->
            match c.Branch, TrialConfig.reference c with
            | Some b, Some reference -> Some(TrialConfig.id reference, TrialConfig.branchStep rows b)
            | _ -> None)
        |> Seq.groupBy fst
        |> Seq.map (fun (id, steps) -> id, steps |> Seq.map snd |> Set.ofSeq)
        |> Map.ofSeq

/// A branched sweep's plan: its reference runs (the first round) and their branches (the second:
/// each runs once its reference run has saved its state at the branch point).
type BranchStudy =
    {
        Spec: BranchSpec
        References: PlannedTrial list
        Branches: PlannedTrial list
    }

    /// Each branch's reference trial id.
    member s.ReferenceOf(branch: TrialConfig) = TrialConfig.reference branch |> Option.map TrialConfig.id |> Option.defaultValue ""

    /// The steps at which reference `id` saves its state, on `rows` training rows (empty: none).
    member s.StepsFor(id: string, rows: int) : int seq =
        BranchSpec.referenceSteps rows (s.Branches |> List.map (fun b -> b.Config))
        |> Map.tryFind id
        |> Option.map Set.toSeq
        |> Option.defaultValue Seq.empty
