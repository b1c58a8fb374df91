/// A branched study as C# sees it (Planning/BranchPlan.fs, Planning/BatchWarmup.fs,
/// Analysis/CriticalBatchOverTraining.fs): arrays, nullable values and ConfigException naming
/// the key at fault, no F# Result, option or list to unwrap. Each member calls the one F#
/// definition it names.
namespace Lrbs.Core.Surface

open System
open System.Collections.Generic
open Lrbs.Core.Analysis
open Lrbs.Core.Planning
open Lrbs.Core.Schedules
open Lrbs.Core.Training

[<AbstractClass; Sealed>]
type Branches =
    static member private Check(r: Result<'T, string * string>) =
        match r with
        | Ok v -> v
        | Error(key, message) -> raise (ConfigException(key, message))

    /// A scaling rule by name (LrScaling.parseRule; "none": no rule); throws ConfigException on `key`.
    static member private Rule(name: string, key: string) : ScalingRule option =
        match LrScaling.parseRule name with
        | Ok r -> r
        | Error e -> raise (ConfigException(key, e))

    /// Checks a scaling rule's name (none, linear, sqrt, ...); throws ConfigException on `key`.
    static member CheckRule(name: string, key: string) : unit = Branches.Rule(name, key) |> ignore

    /// A loss compared by name (BranchLoss.Parse); throws ConfigException on `key`.
    static member Loss(name: string, key: string) : BranchLoss =
        match BranchLoss.Parse name with
        | Ok l -> l
        | Error e -> raise (ConfigException(key, e))

    /// A branch section, checked (BranchSpec.check); throws ConfigException on the section's key
    /// at fault (at, batch_sizes, window, tolerance).
    static member Spec(at: double seq, batchSizes: int seq, window: double, rule: string, tolerance: double, loss: BranchLoss) : BranchSpec =
        {
            At = List.ofSeq at
            BatchSizes = List.ofSeq batchSizes
            Window = window
            Rule = Branches.Rule(rule, "lr.rule")
            Tolerance = tolerance
            Loss = loss
        }
        |> BranchSpec.check
        |> Branches.Check

    /// The trial keys of one branch (BranchSpec.branchKeys); throws ConfigException on the
    /// section's key at fault.
    static member Keys(spec: BranchSpec, referenceBatch: int, at: double, batch: int) : IReadOnlyList<KeyValuePair<string, string>> =
        BranchSpec.branchKeys spec referenceBatch at batch |> Branches.Check |> List.map KeyValuePair |> Array.ofList :> _

    /// The plan of a branched sweep: its spec, reference runs and branches.
    static member Study(spec: BranchSpec, references: PlannedTrial seq, branches: PlannedTrial seq) : BranchStudy =
        { Spec = spec; References = List.ofSeq references; Branches = List.ofSeq branches }

    /// The manifest's settings text (BranchSpec.settingsText).
    static member Settings(spec: BranchSpec) : string = BranchSpec.settingsText spec

    /// The tolerance and loss of a settings text (BranchSpec.ofSettingsText); throws FormatException saying why not.
    static member OfSettings(text: string) : struct (double * BranchLoss) =
        match BranchSpec.ofSettingsText text with
        | Ok(t, l) -> struct (t, l)
        | Error e -> raise (FormatException e)

    /// CBS(t) at each point (CriticalBatchOverTraining.points) from each point's repeats, each
    /// repeat its branches' (batch size, loss); throws FormatException naming the point.
    static member CbsOverTraining
        (tolerance: double, examplesPerEpoch: double, points: IEnumerable<KeyValuePair<double, IReadOnlyList<IReadOnlyList<struct (int * double)>>>>)
        : IReadOnlyList<CriticalBatchOverTraining.Point> =
        let byPoint =
            [
                for kv in points ->
                    kv.Key,
                    [
                        for repeat in kv.Value -> [ for struct (b, l) in repeat -> ({ BatchSize = b; Loss = l }: CriticalBatchDirect.Branch) ]
                    ]
            ]

        match CriticalBatchOverTraining.points tolerance examplesPerEpoch byPoint with
        | Ok ps -> Array.ofList ps :> _
        | Error e -> raise (FormatException e)

    /// How a proxy tracks CBS over (CBS, proxy) pairs (CriticalBatchOverTraining.tracking); null
    /// for fewer than three pairs.
    static member Tracking(pairs: struct (double * double) seq) : CriticalBatchOverTraining.Tracking =
        pairs |> Seq.map (fun (struct (c, p)) -> c, p) |> Array.ofSeq |> CriticalBatchOverTraining.tracking |> Option.toObj

    /// A curve's value at `x`, read log-log (CriticalBatchOverTraining.interpolate); null outside it.
    static member At(curve: struct (double * double) seq, x: double) : Nullable<double> =
        CriticalBatchOverTraining.interpolate (curve |> Seq.map (fun (struct (a, b)) -> a, b) |> Array.ofSeq) x
        |> Option.toNullable

    /// A batch-size warm-up's schedule text from CBS(t) points (BatchWarmup.schedule); throws
    /// ConfigException on `max_batch` or `rule` saying why there is none.
    static member Warmup(cbs: struct (double * double) seq, grid: int seq, b0: int, maxBatch: int, lr0: double, rule: string, epochs: int) : string =
        match
            BatchWarmup.schedule
                (cbs |> Seq.map (fun (struct (t, c)) -> t, c) |> List.ofSeq)
                (List.ofSeq grid)
                b0
                maxBatch
                lr0
                (Branches.Rule(rule, "rule"))
                epochs
        with
        | Ok s -> Schedule.canonical s
        | Error e -> raise (ConfigException("warmup", e))

    /// The rule's learning rate at `batch` from `lr0` at `b0` (LrScaling.scaled); `lr0` for "none".
    static member Scaled(rule: string, b0: int, lr0: double, batch: int) : double =
        match Branches.Rule(rule, "rule") with
        | Some r -> LrScaling.scaled { Rule = r; BaseBatch = b0; WarmupEpochs = 0 } lr0 batch
        | None -> lr0

    /// The rule's name of a branch's canonical scaling text ("sqrt:16:0"), "none" for none.
    static member RuleOf(scaling: string) : string = if String.IsNullOrEmpty scaling then "none" else scaling.Split(':')[0]

    /// The settings a branch section sets on its branches (BranchSpec.setKeys).
    static member SetKeys: string[] = List.toArray BranchSpec.setKeys

    /// The branch points, in epochs (BranchSpec.At).
    static member Points(spec: BranchSpec) : double[] = List.toArray spec.At

    /// The branch batch sizes (BranchSpec.BatchSizes).
    static member BatchSizes(spec: BranchSpec) : int[] = List.toArray spec.BatchSizes

    /// A branched study's reference runs (BranchStudy.References).
    static member References(study: BranchStudy) : PlannedTrial[] = List.toArray study.References

    /// A branched study's branches (BranchStudy.Branches).
    static member Of(study: BranchStudy) : PlannedTrial[] = List.toArray study.Branches
