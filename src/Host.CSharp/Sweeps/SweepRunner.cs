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

/// <summary>Runs the unfinished trials of a sweep (or of one shard) with N workers, one libtorch
/// thread each, and commits each finished trial to the results store before starting another.</summary>
public sealed class SweepRunner(Sweep sweep, ResultsStore store, int workers, Shard shard, string codeVersion, bool retryFailed = false)
{
    /// <summary>The trials of this shard to run, in plan order: those not committed, and with
    /// retryFailed those committed as failed.</summary>
    public IReadOnlyList<PlannedTrial> Pending()
    {
        var committed = TrialStates.Committed(store);
        return sweep.Trials.Where(shard.Owns).Where(t =>
            !committed.TryGetValue(t.Id, out var state) || (retryFailed && state == TrialState.Failed)).ToList();
    }

    /// <summary>Runs the given trials (normally <see cref="Pending"/>, read once by the caller).</summary>
    public IReadOnlyList<TrialResult> Run(IReadOnlyList<PlannedTrial> pending, ISweepObserver observer, CancellationToken cancel)
    {
        Runtime.setThreads(1); // intra-op threads are process-wide in libtorch: one per trial
        var queue = new ConcurrentQueue<PlannedTrial>(pending);
        var results = new ConcurrentBag<TrialResult>();
        var threads = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => new Thread(() =>
        {
            while (!cancel.IsCancellationRequested && queue.TryDequeue(out var t))
            {
                var state = TrialStates.Move(TrialState.Planned, TrialState.Running);
                observer.Started(t);
                var result = RunOne(t, observer);
                store.Write(sweep.Name, result, codeVersion); // the commit point
                TrialStates.Move(state, TrialStates.Of(result.Status));
                results.Add(result);
                observer.Finished(t, result);
            }
        }) { IsBackground = true }).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        return results.ToList();
    }

    static TrialResult RunOne(PlannedTrial t, ISweepObserver observer)
    {
        var data = Trainer.prepare(t.Config);
        if (data.IsError)
            throw new InvalidOperationException($"trial {t.Id}: {string.Join("; ", data.ErrorValue.Select(e => $"{e.Field}: {e.Message}"))}");
        var progress = new Progress(
            Microsoft.FSharp.Core.FuncConvert.FromAction<int, int>((_, _) => { }),
            Microsoft.FSharp.Core.FuncConvert.FromFunc<int, int, int, double, Microsoft.FSharp.Core.Unit>((_, _, _, _) => null!),
            Microsoft.FSharp.Core.FuncConvert.FromAction<EpochRecord>(e => observer.Epoch(t, e)));
        return Trainer.tryRun(t.Config, data.ResultValue, progress);
    }
}
