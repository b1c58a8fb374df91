/// A trained trial as the host stores it (src/Host.CSharp/Storage/Rows): the F# result's
/// optional facts as nullable values and null strings, its epochs as an array. Each member
/// reads the one field it names; nothing is computed here.
namespace Lrbs.Core.Surface

open System
open Lrbs.Core.Training

/// One epoch's optional measurements (EpochRecord), null where not measured.
type RecordedEpoch =
    {
        Record: EpochRecord
        ValLoss: Nullable<float>
        ValMetric: Nullable<float>
        NoiseG2: Nullable<float>
        NoiseTrace: Nullable<float>
        NoiseBSimple: Nullable<float>
    }

/// A trial's optional facts (TrialConfig and TrialResult), null where absent.
type RecordedTrial =
    {
        Pool: Nullable<int>
        TrainLimit: Nullable<int>
        TestLimit: Nullable<int>
        ImageSize: Nullable<int>
        /// The early-stopping monitor's name; null without early stopping.
        EarlyStoppingMonitor: string
        /// The reference trial's id for a branch (TrialConfig.reference); null otherwise.
        BranchReference: string
        BranchAt: Nullable<float>
        BranchBatch: Nullable<int>
        BranchWindow: Nullable<float>
        BranchBSimple: Nullable<float>
        /// Why training stopped (Stopping.StopReason's case name); null when it did not run.
        StopReason: string
        Collapsed: Nullable<bool>
        TestOutputs: float32[]
        Epochs: RecordedEpoch[]
    }

[<AbstractClass; Sealed>]
type Recorded =
    /// An epoch's optional measurements.
    static member Epoch(e: EpochRecord) : RecordedEpoch =
        {
            Record = e
            ValLoss = Option.toNullable e.ValLoss
            ValMetric = Option.toNullable e.ValMetric
            NoiseG2 = Option.toNullable e.NoiseG2
            NoiseTrace = Option.toNullable e.NoiseTrace
            NoiseBSimple = Option.toNullable e.NoiseBSimple
        }

    /// A trial's optional facts and its epochs.
    static member Trial(r: TrialResult) : RecordedTrial =
        let c = r.Config
        let branch f = c.Branch |> Option.map f |> Option.toNullable

        {
            Pool = Option.toNullable c.Pool
            TrainLimit = Option.toNullable c.TrainLimit
            TestLimit = Option.toNullable c.TestLimit
            ImageSize = Option.toNullable c.ImageSize
            EarlyStoppingMonitor = c.Stopping.EarlyStopping |> Option.map (fun e -> e.Monitor.Name) |> Option.toObj
            BranchReference = TrialConfig.reference c |> Option.map TrialConfig.id |> Option.toObj
            BranchAt = branch (fun b -> b.At)
            BranchBatch = branch (fun b -> b.ParentBatch)
            BranchWindow = branch (fun b -> b.Window)
            BranchBSimple = Option.toNullable r.BranchBSimple
            StopReason = r.StopReason |> Option.map string |> Option.toObj
            Collapsed = Option.toNullable r.Collapsed
            TestOutputs = Option.toObj r.TestOutputs
            Epochs = r.Epochs |> List.map Recorded.Epoch |> List.toArray
        }
