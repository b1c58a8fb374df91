using Lrbs.Core.Planning;
using System.Collections.Concurrent;
using Lrbs.Host.Sweeps;
using Spectre.Console;

namespace Lrbs.Host.Presentation;

/// <summary>The live display of a sweep: overall progress with ETA, and one line per running trial.</summary>
public static class SweepDisplay
{
    public static IReadOnlyList<TrialResult> Run(SweepRunner runner, IReadOnlyList<WorkUnit> units, int trials, IAnsiConsole console, Claims? claims = null)
    {
        IReadOnlyList<TrialResult> results = [];
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var overall = ctx.AddTask("trials", maxValue: Math.Max(1, trials));
                results = runner.Run(units, new Observer(ctx, overall, console), CancellationToken.None, claims);
            });
        return results;
    }

    sealed class Observer(ProgressContext ctx, ProgressTask overall, IAnsiConsole console) : ISweepObserver
    {
        readonly ConcurrentDictionary<string, ProgressTask> _running = new();
        readonly ConcurrentDictionary<string, bool> _leftToOthers = new();

        static string Label(PlannedTrial t) => $"{t.Id[..8]} {t.Config.Optimizer} lr={t.Config.Lr} B={t.Config.BatchSize} seed={t.Config.Seed}";

        public void Started(PlannedTrial t)
        {
            lock (ctx) _running[t.Id] = ctx.AddTask(Label(t), maxValue: t.Config.Stopping.MaxEpochs);
        }

        public void Epoch(PlannedTrial t, EpochRecord e)
        {
            if (!_running.TryGetValue(t.Id, out var task)) return;
            task.Value = e.Epoch;
            task.Description = $"{Label(t)} epoch {e.Epoch} loss {e.TrainLoss:F4}";
        }

        public void Claimed(PlannedTrial t, string holder)
        {
            if (_leftToOthers.TryAdd(t.Id, true)) overall.Increment(1); // another runner trains it
            console.MarkupLine(Markup.Escape($"{t.Id} claimed by {holder}: left to that runner (taken over if its claim goes stale)"));
        }

        public void Warning(string message) => console.MarkupLine(Markup.Escape("warning: " + message));

        public void Finished(PlannedTrial t, TrialResult r)
        {
            if (_running.TryRemove(t.Id, out var task)) { task.Value = task.MaxValue; task.StopTask(); }
            if (!_leftToOthers.ContainsKey(t.Id)) overall.Increment(1); // a trial taken over was counted when left
            var error = r.Status is TrialStatus.Failed f ? $": {f.message}" : "";
            var resumed = r.ResumedEpochs > 0 ? $" (resumed after epoch {r.ResumedEpochs})" : "";
            console.MarkupLine(Markup.Escape($"{t.Id} {r.Status.Name}{error}; {r.EpochCount} epochs{resumed}, test {r.MetricName} {r.FinalTestMetric:F4}, {r.WallSeconds:F1}s"));
        }
    }
}
