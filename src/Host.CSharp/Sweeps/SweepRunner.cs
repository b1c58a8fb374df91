using System.Collections.Concurrent;
using Lrbs.Core.Engine;
using Lrbs.Core.Training;
using Lrbs.Host.Storage;

namespace Lrbs.Host.Sweeps;

/// <summary>What a running sweep reports to its display.</summary>
public interface ISweepObserver
{
    void Started(PlannedTrial t);
    void Epoch(PlannedTrial t, EpochRecord e);
    void Finished(PlannedTrial t, TrialResult r);
}

/// <summary>Trials that train together: one trial, or a pack sharing one step.</summary>
public sealed record WorkUnit(IReadOnlyList<PlannedTrial> Trials);

/// <summary>Runs the unfinished trials of a sweep (or of one shard) with N workers, one libtorch
/// and BLAS thread each, and commits each finished trial to the results store as soon as it
/// finishes.</summary>
public sealed class SweepRunner(Sweep sweep, ResultsStore store, int workers, Shard shard, string codeVersion, bool retryFailed = false)
{
    /// <summary>The trials of this shard to run, in plan order: those not committed, and with
    /// retryFailed those committed as failed.</summary>
    public IReadOnlyList<PlannedTrial> Pending(CommittedTrials committed) =>
        sweep.Trials.Where(shard.Owns).Where(t =>
            !committed.Statuses.TryGetValue(t.Id, out var status) || (retryFailed && status.IsFailed)).ToList();

    /// <summary>Each trial alone.</summary>
    public static IReadOnlyList<WorkUnit> Singles(IReadOnlyList<PlannedTrial> pending) => pending.Select(t => new WorkUnit([t])).ToList();

    /// <summary>Runs the given units; returns every result.</summary>
    public IReadOnlyList<TrialResult> Run(IReadOnlyList<WorkUnit> units, ISweepObserver observer, CancellationToken cancel)
    {
        Runtime.setThreads(1); // intra-op threads are process-wide: one per trial
        var queue = new ConcurrentQueue<WorkUnit>(units);
        var results = new ConcurrentBag<TrialResult>();
        var failures = new ConcurrentBag<Exception>();
        var threads = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => new Thread(() =>
        {
            try
            {
                while (!cancel.IsCancellationRequested && queue.TryDequeue(out var unit))
                    foreach (var r in RunUnit(unit, observer)) results.Add(r);
            }
            catch (Exception e) { failures.Add(e); } // a storage failure: stop this worker, report after the others
        }) { IsBackground = true }).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        if (!failures.IsEmpty) throw new AggregateException(failures);
        return results.ToList();
    }

    IEnumerable<TrialResult> RunUnit(WorkUnit unit, ISweepObserver observer)
    {
        var trials = unit.Trials;
        var data = Trainer.prepare(trials[0].Config);
        if (data.IsError)
            throw new InvalidOperationException($"trial {trials[0].Id}: {string.Join("; ", data.ErrorValue.Select(e => $"{e.Field}: {e.Message}"))}");
        foreach (var t in trials) observer.Started(t);
        var progress = Progress.Of(
            null,
            (i, e) => observer.Epoch(trials[i], e),
            (i, r) =>
            {
                store.Write(sweep.Name, r, codeVersion, data.ResultValue.Test); // the commit point
                observer.Finished(trials[i], r);
            });
        return Trainer.tryRunPack(trials.Select(t => t.Config).ToArray(), data.ResultValue, progress);
    }
}
