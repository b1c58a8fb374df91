using Lrbs.Core.Analysis;
using Lrbs.Host.Storage.Rows;
using Microsoft.FSharp.Core;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>Steps to a target against batch size (StepsToTarget: the default target, the fewest
/// steps over learning rates), beside perfect scaling, then the critical batch size.</summary>
public static class StepsSection
{
    /// <summary>Finished trials as StepsToTarget runs: final test metric (0 when none) and per epoch (steps, test metric or NaN).</summary>
    static StepsToTarget.Run[] Runs(ReportData data, IReadOnlyList<TrialRow> done)
    {
        var epochs = data.Epochs.ToLookup(e => e.Id);
        return done.Select(t => new StepsToTarget.Run(t.BatchSize, t.Lr, t.TestMetric ?? 0,
            epochs[t.Id].Select(e => Tuple.Create(e.Steps, e.TestMetric ?? double.NaN)).ToArray())).ToArray();
    }

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, double? target, Func<string, string> name)
    {
        var done = trials.Where(t => t.Finished).ToList();
        if (done.Select(t => t.BatchSize).Distinct().Count() < 2 || trials.Select(t => t.Schedule).Distinct().Count() > 1) return;
        var metric = trials[0].Metric;
        var runs = Runs(data, done);
        var given = target is double t ? FSharpOption<double>.Some(t) : FSharpOption<double>.None;
        var chosenGoal = StepsToTarget.goal(given, runs);
        var (goal, idle) = (chosenGoal.Target, chosenGoal.Idle);
        if (!double.IsFinite(goal))
        {
            page.Heading(3, "steps to a target");
            page.Paragraph($"No default target: at no batch size did any learning rate improve test {metric} on its first epoch. Give one with --target.");
            return;
        }
        var table = StepsToTarget.fewestSteps(goal, runs);
        var (found, missing) = (table.Found, table.Missing);
        page.Heading(3, $"steps to reach test {metric} {goal:0.0000}");
        var chosen = target is not null ? "" : $"Target: {goal:0.0000}, the lowest of the batch sizes' best final test {metric} (override with --target)" +
            (idle.Length > 0 ? $", leaving out batch size {string.Join(", ", idle)}, where no learning rate improved on its first epoch. " : ". ");
        page.Paragraph(chosen +
            "Steps are the updates up to the end of the first epoch at or above the target (the median over repeats, when more than half reach it), " +
            "minimised over learning rates; where doubling the batch stops halving the steps, larger batches stop paying (Shallue et al. 2019)." +
            (missing.Length > 0 ? $" Note: batch size {string.Join(", ", missing)} never reaches the target." : ""));
        if (found.Length == 0) return;
        page.Table(["batch size", "best lr", "steps", "examples"], found.Select(f => (IReadOnlyList<string>)[f.Batch.ToString(), Page.Lr(f.Lr),
            f.Steps.ToString("0", Inv), (f.Steps * f.Batch).ToString("0", Inv)]));
        var points = found.Select(p => (object)new { x = p.Batch, y = p.Steps, series = "steps to target (best lr)" }).ToList();
        var lines = new[] { found[0].Batch, found[^1].Batch }
            .Select(b => (object)new { x = (double)b, y = StepsToTarget.perfectScaling(found[0], b), series = "perfect scaling (steps ∝ 1/B)" }).ToList();
        page.Add(new Figure(name("steps"), Figures.LogLog($"steps to target: {trials[0].Group}", points, lines, "batch size", "steps"),
            "Steps to reach the target against batch size, log-log; dashed: perfect scaling from the smallest batch size."));
        CriticalBatchSection.Write(page, data, done, runs, goal, found, name);
    }
}
