namespace Lrbs.Core.Planning

open Lrbs.Core.Training

/// One trial of a sweep's plan: its place in the plan (`Index`, which shards split on), its
/// stable id (TrialConfig.id) and its configuration. `Searched` marks a trial a learning-rate
/// search added: shards split those on the id instead, since a search's plan grows round by round.
type PlannedTrial =
    {
        Index: int
        Id: string
        Config: TrialConfig
        Searched: bool
    }

    /// A trial of a fixed grid at `index`.
    static member Of(index: int, config: TrialConfig) = { Index = index; Id = TrialConfig.id config; Config = config; Searched = false }
