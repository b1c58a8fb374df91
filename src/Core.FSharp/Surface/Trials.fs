/// The core as C# sees it: records, arrays, dictionaries and exceptions of named types, with
/// no F# Result, option or list to unwrap. Each member calls the one F# definition it names;
/// nothing here decides anything of its own.
namespace Lrbs.Core.Surface

open System
open System.Collections.Generic
open Lrbs.Core.Training
open Lrbs.Core.Data
open Lrbs.Core.Models

/// Settings, data or a model that do not check out: every problem, each naming its key.
type ConfigException(errors: IReadOnlyList<ConfigError>) =
    inherit Exception(errors |> Seq.map (fun e -> $"{e.Field}: {e.Message}") |> String.concat "; ")
    member _.Errors = errors
    new(field: string, message: string) = ConfigException([| { Field = field; Message = message } |])

/// A trial key (TrialConfig.keys): its name, default text ("" when none) and meaning.
type TrialKey = { Key: string; Default: string; Meaning: string }

[<AbstractClass; Sealed>]
type Trials =
    static member private Unwrap(r: Result<'T, ConfigError list>) =
        match r with
        | Ok v -> v
        | Error errors -> raise (ConfigException(Array.ofList errors))

    /// A trial's configuration from key = text pairs (TrialConfig.build); throws ConfigException
    /// naming every bad key.
    static member Build(fields: seq<struct (string * string)>) : TrialConfig =
        fields |> Seq.map (fun (struct (k, v)) -> k, v) |> List.ofSeq |> TrialConfig.build |> Trials.Unwrap

    /// A committed trial's configuration from its canonical text (the manifest's `config`
    /// column, TrialConfig.fieldsOfCanonical); throws ConfigException.
    static member OfCanonical(text: string) : TrialConfig = TrialConfig.fieldsOfCanonical text |> Result.bind TrialConfig.build |> Trials.Unwrap

    /// The trial's data, split and loaded (Trainer.prepare); throws ConfigException naming what
    /// does not load or fit (the batch against the training rows, the data's files).
    static member Prepare(config: TrialConfig) : SplitData = Trainer.prepare config |> Trials.Unwrap

    /// The test rows the trial evaluates (Trainer.testRows); throws ConfigException.
    static member TestRows(config: TrialConfig) : Dataset = Trainer.testRows config |> Trials.Unwrap

    /// The trial's stable id (TrialConfig.id).
    static member Id(config: TrialConfig) : string = TrialConfig.id config

    /// Every key's canonical text (TrialConfig.values), by key.
    static member Values(config: TrialConfig) : IReadOnlyDictionary<string, string> = TrialConfig.values config |> dict |> Dictionary :> _

    /// The trial's model, built for the data's input and head (TrialConfig.modelSpec); throws
    /// ConfigException on the `model` key.
    static member Model(config: TrialConfig, data: SplitData) : ModelSpec =
        match TrialConfig.modelSpec config data.Train.Input (Dataset.head data.Train) with
        | Ok spec -> spec
        | Error message -> raise (ConfigException("model", message))

    /// The arithmetic of one training step of the trial on its data (StepCost.ofData); throws
    /// ConfigException on `model`.
    static member Cost(config: TrialConfig, data: SplitData) : StepCost.StepCost =
        match StepCost.ofData config data with
        | Ok cost -> cost
        | Error message -> raise (ConfigException("model", message))

    /// The engine memory one member of a pack of this trial needs (PackMemory.bound); throws
    /// ConfigException on `model`.
    static member PackMemory(config: TrialConfig, data: SplitData) : PackMemory.Bound =
        match PackMemory.bound config data with
        | Ok bound -> bound
        | Error message -> raise (ConfigException("model", message))

    /// The train and test partitions with their rows copied (so no cache holds them) and no
    /// validation part: what a bench times a one-off computation on.
    static member CopyRows(data: SplitData) : SplitData =
        let copy (d: Dataset) = { d with X = Array.copy d.X }
        { Train = copy data.Train; Validation = None; Test = copy data.Test }

    /// The branch point of a branched trial (TrialConfig.Branch); null for any other trial.
    static member BranchPoint(config: TrialConfig) : BranchPoint = Option.toObj config.Branch

    /// The trial the test aid LRBS_FAULT=TRIAL_ID:STEP names (Fault.parse), or null when it is
    /// unset; throws FormatException saying what is malformed.
    static member FaultTrial(text: string) : string =
        match Fault.parse text with
        | Ok(Some(id, _)) -> id
        | Ok None -> null
        | Error message -> raise (FormatException message)

    /// Every trial key with its default text ("" when none) and meaning (TrialConfig.keys).
    static member Keys: TrialKey[] = TrialConfig.keys |> List.map (fun (k, d, m) -> { Key = k; Default = d; Meaning = m }) |> List.toArray

    /// The environment variables that set a native library's thread count (ThreadEnvironment.variables):
    /// what a peer process is started with, each at 1.
    static member ThreadVariables: string[] = List.toArray Lrbs.Core.Engine.ThreadEnvironment.variables
