/// What the host reads back from storage, made into the core's values: C#-shaped (nullable in,
/// values out, a FormatException naming the problem), each member calling the one F#
/// definition it names.
namespace Lrbs.Core.Surface

open System
open Lrbs.Core.Training
open Lrbs.Core.Planning

[<AbstractClass; Sealed>]
type Stored =
    /// A trial part's status column (TrialStatus.parse); throws FormatException naming it.
    static member Status(status: string, error: string) : TrialStatus =
        match TrialStatus.parse status (Option.ofObj error) with
        | Ok s -> s
        | Error e -> raise (FormatException e)

    /// Whether a stored trial collapsed (Collapse.collapsed); null when neither its metric nor its
    /// losses can tell.
    static member Collapsed(finished: bool, testMetric: float, chance: float, rows: int, losses: float[]) : Nullable<bool> =
        Collapse.collapsed finished testMetric chance rows losses |> Option.toNullable

    /// What the learning-rate search reads of a committed trial (LrBracket.outcomeOf).
    static member Outcome(finished: bool, metric: string, testMetric: Nullable<float>, testRows: int, spread: float) : LrBracket.Outcome =
        LrBracket.outcomeOf finished metric (Option.ofNullable testMetric) testRows spread

    /// A checkpoint file's member state (Checkpoint.ofBytes); throws FormatException saying why
    /// it cannot be used (another code version or trial, a damaged file).
    static member Checkpoint(codeVersion: string, trialId: string, bytes: byte[]) : MemberState =
        match Checkpoint.ofBytes codeVersion trialId bytes with
        | Ok s -> s
        | Error e -> raise (FormatException e)

    /// Checkpointing for a pack: save every `every` epochs through `save`; `start` holds each
    /// member's saved state in pack order (null: it starts afresh), or is empty.
    static member Checkpointing(every: int, start: MemberState[], save: Action<MemberState[]>) : Checkpointing =
        { Checkpointing.None with Every = every; Start = start |> Array.map Option.ofObj; Save = save.Invoke }

    /// Checkpointing as above that also saves the members' states at the reference steps
    /// `branchSteps` through `saveBranch` (a branched study's reference runs).
    static member Checkpointing(every: int, start: MemberState[], save: Action<MemberState[]>, branchSteps: int seq, saveBranch: Action<MemberState[]>) =
        { Stored.Checkpointing(every, start, save) with BranchSteps = Set.ofSeq branchSteps; SaveBranch = saveBranch.Invoke }

    /// The trial ids of the pack a checkpoint was saved from, in pack order (MemberState.Pack).
    static member Pack(state: MemberState) : string[] = List.toArray state.Pack
