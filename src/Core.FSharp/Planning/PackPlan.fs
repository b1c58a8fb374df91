/// Which pending trials train together as members of one net, and how many members fit in
/// memory. The host asks for a plan and runs it (src/Host.CSharp/Sweeps/SweepRunner.cs).
namespace Lrbs.Core.Planning

open Lrbs.Core.Training

open System
open System.Collections.Generic
open System.IO

/// A plan: the units in the order to run them (each trains as one net; a unit of one trains
/// alone), and for each trial that runs alone, by its id, why.
type PackPlan<'T> = { Units: IReadOnlyList<IReadOnlyList<'T>>; Alone: IReadOnlyDictionary<string, string> }

[<AbstractClass; Sealed>]
type PackPlanner =
    /// How many members of a trial's pack fit in memory with `workers` packs training at once:
    /// the pack's bound (PackMemory: its data, one evaluation pass and per member the state, one
    /// batch of activations and the shuffle order) within 70% of `available` bytes, shared among
    /// the workers. At least 1: a trial that does not fit alone still runs alone. (S7 at batch
    /// 4096 packed 12 box CNNs into 23 GB and was killed: each member holds about 2 GB of
    /// activations.) A trial whose data or model does not load gets no cap: its run reports why.
    static member MembersThatFit(config: TrialConfig, workers: int, available: int64) : int =
        match Trainer.prepare config with
        | Error _ -> Int32.MaxValue
        | Ok data ->
            match PackMemory.bound config data with
            | Error _ -> Int32.MaxValue
            | Ok b ->
                let budget = int64 (float available * 0.7) / int64 (max 1 workers)
                let perMember = max 1L (b.State + b.Activations + b.Order)
                int (Math.Clamp((budget - b.Data - b.Evaluation) / perMember, 1L, int64 Int32.MaxValue))

    /// The memory available now (/proc/meminfo's MemAvailable), or 4 GiB where it cannot be read.
    static member AvailableBytes() : int64 =
        let line =
            try
                File.ReadLines "/proc/meminfo" |> Seq.tryFind (fun l -> l.StartsWith "MemAvailable:")
            with :? IOException ->
                None

        match line |> Option.map (fun l -> l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] |> Int64.TryParse) with
        | Some(true, kb) -> kb * 1024L
        | _ -> 4L <<< 30

    /// Packs: trials that see the same data and differ only in learning rate, a learning-rate
    /// schedule and seed train as members of one net (at most `maxMembers`, and at most `fit` of
    /// the group's first trial where `fit` is given: MembersThatFit); a group is split into at
    /// least `workers` packs so that every worker has one, members sorted by seed (then `order`)
    /// so that a pack holds few seeds. The rest run alone, each with the reason. The largest
    /// units come first, so that the last worker is not left with the longest one.
    static member Plan
        (pending: IReadOnlyList<'T>, config: Func<'T, TrialConfig>, order: Func<'T, int>, maxMembers: int, workers: int, fit: Func<TrialConfig, int>)
        : PackPlan<'T> =
        let alone = Dictionary<string, string>()

        let key (t: 'T) =
            let c = config.Invoke t

            match Trainer.whyNotPackable c with
            | None -> Trainer.dataKey c + "\n" + Trainer.packKey c
            | Some _ -> "alone:" + TrialConfig.id c

        let units =
            [
                for _, group in Seq.groupBy key pending do
                    let trials = List.ofSeq group
                    let first = config.Invoke trials.Head

                    match Trainer.whyNotPackable first, trials with
                    | Some why, _ -> alone[TrialConfig.id first] <- why
                    | None, [ _ ] -> alone[TrialConfig.id first] <- "no other pending trial shares its data, model, optimizer, batch size and stopping rule"
                    | None, _ -> ()

                    let cap = if isNull fit then maxMembers else fit.Invoke first
                    let most = max 1 (min maxMembers cap)
                    let packs = max (min workers trials.Length) ((trials.Length + most - 1) / most)
                    let size = (trials.Length + packs - 1) / packs
                    yield! trials |> List.sortBy (fun t -> (config.Invoke t).Seed, order.Invoke t) |> List.chunkBySize size
            ]

        {
            Units =
                units
                |> List.sortBy (fun u -> -u.Length, order.Invoke u.Head)
                |> List.map (fun u -> List.toArray u :> IReadOnlyList<'T>)
                |> List.toArray
            Alone = alone
        }
