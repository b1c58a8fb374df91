using Lrbs.Core.Data;
using Spectre.Console;

namespace Lrbs.Host.Presentation;

/// <summary>The live display of one trial: a progress bar per epoch and a line per finished epoch.</summary>
public static class TrainDisplay
{
    public static TrialResult Run(TrialConfig config, SplitData data, TextWriter output, Action? afterStep = null)
    {
        var console = Consoles.For(output);
        console.MarkupLine(
            $"[bold]{config.Dataset}[/] ({data.Train.Count} train / {data.Test.Count} test, split {SplitModule.describe(config.Split)})  " +
            $"model [bold]{config.Model}[/]  {config.Optimizer} lr={config.Lr} batch={config.BatchSize}  seed={config.Seed}");
        TrialResult? result = null;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                ProgressTask? task = null;
                var progress = Lrbs.Core.Training.Progress.Of(
                    (epoch, batch, batches, runningLoss) =>
                    {
                        afterStep?.Invoke();
                        if (task is null || batch == 1)
                        {
                            task?.StopTask();
                            task = ctx.AddTask($"epoch {epoch}", maxValue: batches);
                        }
                        task.Value = batch;
                        // the display samples the running loss now and then; the step never waits for it
                        if (batch % 200 == 0 || batch == batches) task.Description = $"epoch {epoch} loss {runningLoss():F4}";
                    },
                    (_, e) =>
                    {
                        task?.StopTask();
                        var val = Recorded.Epoch(e).ValLoss is double v ? $"  val_loss {v:F4}" : "";
                        console.MarkupLine(
                            $"epoch {e.Epoch,3}  loss {e.TrainLoss:F4}  train_{MetricLabel(data)} {e.TrainMetric:F4}{val}  " +
                            $"test_{MetricLabel(data)} {e.TestMetric:F4}  {e.Seconds:F1}s");
                    },
                    null);
                result = Trainer.tryRun(config, data, progress);
            });
        return result!;
    }

    static string MetricLabel(SplitData data) => Trainer.metricName(data.Train);

    public static void Summary(TrialResult r, TextWriter output)
    {
        if (r.Status is TrialStatus.Failed failed)
        {
            output.WriteLine($"status failed: {failed.message}");
            return;
        }
        var stop = Recorded.Trial(r).StopReason is { } reason ? $" ({reason})" : "";
        output.WriteLine(
            $"status {r.Status.Name}{stop}; {r.EpochCount} epochs, {r.Steps} steps, {r.WallSeconds:F1}s; " +
            $"final test {r.MetricName} {r.FinalTestMetric:F4}");
    }
}

