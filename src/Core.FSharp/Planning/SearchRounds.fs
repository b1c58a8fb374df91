/// The rounds of a sweep's learning-rate search (`lr: {bracket: ...}`): which trials the search
/// has planned so far, given what is committed. Each group's plan is LrBracket.plan, replayed
/// from the committed outcomes alone, so every shard and every rerun agrees on it; the host
/// asks for the plan, runs its open trials, commits them and asks again until no group runs.
namespace Lrbs.Core.Planning

open System
open System.Collections.Generic
open Lrbs.Core.Training

/// A trial of a search group at one learning rate and repeat: its id and configuration.
type SearchTrial = { Id: string; Config: TrialConfig }

/// One group of a searched sweep: every key but lr and seed fixed. `Trial(lr, repeat)` builds
/// its trial at a learning rate for one repeat (built once, then kept); `Label` names the keys
/// the grid varies.
[<Sealed>]
type SearchGroup(index: int, label: string, repeats: int, build: Func<float, int, TrialConfig>) =
    let trials = Dictionary<struct (float * int), SearchTrial>()
    member _.Index = index
    member _.Label = label
    member _.Repeats = repeats

    member _.Trial(lr: float, repeat: int) : SearchTrial =
        lock trials (fun () ->
            match trials.TryGetValue(struct (lr, repeat)) with
            | true, t -> t
            | _ ->
                let c = build.Invoke(lr, repeat)
                let t = { Id = TrialConfig.id c; Config = c }
                trials[struct (lr, repeat)] <- t
                t)

/// A group's search as planned now.
type GroupSearch =
    {
        Group: SearchGroup
        Plan: LrBracket.Plan
    }

    /// Whether some trials of its current round are not committed yet.
    member g.Running = g.Plan.State.IsRunning

/// The plan of a searched sweep at this moment: its trials (every round so far, each with all
/// its repeats, in group order, then point order, then repeat) and each group's search.
type SearchPlan =
    {
        Trials: IReadOnlyList<PlannedTrial>
        Groups: IReadOnlyList<GroupSearch>
    }

    /// The groups whose search has not ended.
    member p.RunningGroups = p.Groups |> Seq.filter (fun g -> g.Running) |> Seq.length

    /// The planned trials still to run: those `isOpen` says are not done (not committed, or to be
    /// retried), in plan order.
    member p.Open(isOpen: Func<PlannedTrial, bool>) : IReadOnlyList<PlannedTrial> = p.Trials |> Seq.filter isOpen.Invoke |> Array.ofSeq :> _

/// A sweep file's learning-rate search: its spec and groups.
[<Sealed>]
type LrSearch(spec: LrBracket.Spec, groups: IReadOnlyList<SearchGroup>) =
    member _.Spec = spec
    member _.Groups = groups

    /// Trials in round 0, over every group and repeat.
    member _.FirstRoundTrials = groups |> Seq.sumBy (fun g -> g.Repeats * (LrBracket.initial spec).Length)

    /// The most trials the search can run: every group at its limits (the first round, max_extend
    /// and max_refine points), times its repeats.
    member _.MostTrials = groups |> Seq.sumBy (fun g -> g.Repeats * LrBracket.maxPoints spec)

    /// The plan given the committed outcomes, by trial id.
    member _.Plan(outcomes: IReadOnlyDictionary<string, LrBracket.Outcome>) : SearchPlan =
        let trials = ResizeArray<PlannedTrial>()
        let plans = ResizeArray<GroupSearch>()

        for g in groups do
            let outcome lr r =
                match outcomes.TryGetValue((g.Trial(lr, r)).Id) with
                | true, o -> Some o
                | _ -> None

            let plan = LrBracket.plan spec [ 0 .. g.Repeats - 1 ] outcome
            plans.Add { Group = g; Plan = plan }

            for p in plan.Points do
                for r in 0 .. g.Repeats - 1 do
                    let t = g.Trial(p.Lr, r)
                    trials.Add { Index = trials.Count; Id = t.Id; Config = t.Config; Searched = true }

        { Trials = trials; Groups = plans }
