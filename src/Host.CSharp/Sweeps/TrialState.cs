using Lrbs.Core.Training;
using Lrbs.Host.Storage;

namespace Lrbs.Host.Sweeps;

/// <summary>A trial's life in a sweep. Running exists only inside a process: a trial is
/// Finished, Diverged or Failed once its Parquet part is renamed into place (the commit), and a
/// trial that was running when its process died has no part, so it is Planned again.</summary>
public enum TrialState { Planned, Running, Finished, Diverged, Failed }

public static class TrialStates
{
    static readonly Dictionary<TrialState, TrialState[]> Moves = new()
    {
        [TrialState.Planned] = [TrialState.Running],
        [TrialState.Running] = [TrialState.Finished, TrialState.Diverged, TrialState.Failed, TrialState.Planned],
        [TrialState.Finished] = [],
        [TrialState.Diverged] = [],
        [TrialState.Failed] = [TrialState.Planned], // only with --retry-failed
    };

    public static bool CanMove(TrialState from, TrialState to) => Moves[from].Contains(to);

    /// <summary>Throws on an illegal move (a bug, not bad input).</summary>
    public static TrialState Move(TrialState from, TrialState to) =>
        CanMove(from, to) ? to : throw new InvalidOperationException($"illegal trial state move {from} -> {to}");

    /// <summary>The committed state of a finished trial's status.</summary>
    public static TrialState Of(TrialStatus status) => OfStatusName(status.Name);

    /// <summary>The committed state of a status as stored in the trials table (TrialStatus.Name).</summary>
    static TrialState OfStatusName(string? name) => name switch
    {
        "diverged" => TrialState.Diverged,
        "failed" => TrialState.Failed,
        _ => TrialState.Finished,
    };

    /// <summary>The committed state of every trial in a results folder (absent = Planned).</summary>
    public static IReadOnlyDictionary<string, TrialState> Committed(ResultsStore store)
    {
        if (!Directory.Exists(store.TrialsDir) || Directory.GetFiles(store.TrialsDir, "*.parquet").All(f => Path.GetFileName(f).StartsWith(".tmp-")))
            return new Dictionary<string, TrialState>();
        return ResultsReader.Query(store.OutDir, "SELECT trial_id, status FROM trials").Rows.ToDictionary(
            r => r[0]!,
            r => OfStatusName(r[1]));
    }
}
