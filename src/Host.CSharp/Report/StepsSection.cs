using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>Steps to a target against batch size (StepsToTarget: one target rule, each seed's own
/// steps, measured at epoch ends and censored where the evaluations cannot say more), beside
/// perfect scaling, then the critical batch size.</summary>
public static class StepsSection
{
    /// <summary>Trials that learned as StepsToTarget runs: final test metric (0 when none) and per epoch (steps, test metric or NaN).</summary>
    public static StepsToTarget.Run[] Runs(ReportData data, IEnumerable<TrialRow> learned)
    {
        var epochs = data.Epochs.ToLookup(e => e.Id);
        return learned.Select(t => new StepsToTarget.Run(t.BatchSize, t.Lr, t.Seed, t.TestMetric ?? 0,
            epochs[t.Id].OrderBy(e => e.Epoch).Select(e => Tuple.Create(e.Steps, e.TestMetric ?? double.NaN)).ToArray())).ToArray();
    }

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, double? target, Func<string, string> name, BranchedStudy? branches = null)
    {
        var learned = trials.Where(t => t.Learned).ToList();
        if (learned.Select(t => t.BatchSize).Distinct().Count() < 2 || trials.Select(t => t.Schedule).Distinct().Count() > 1) return;
        var metric = trials[0].Metric;
        var runs = Runs(data, learned);
        var chance = ChanceThreshold(trials);
        var goal = Analyses.Goal(target, chance, runs);
        if (!double.IsFinite(goal.Target))
        {
            page.Heading(3, "steps to a target");
            page.Paragraph($"No default target: at no batch size did any learning rate improve test {metric} on its first epoch. Give one with --target.");
            return;
        }
        page.Heading(3, $"steps to reach test {metric} {goal.Target:0.0000}");
        if (goal.AtChance)
        {
            page.Paragraph($"The target {goal.Target:0.0000} is at or below chance for these trials ({chance:0.0000}: the test {metric} of a constant prediction on their " +
                "test rows plus two standard errors), so reaching it shows no learning: no steps or critical batch size are measured from it.");
            return;
        }
        var table = StepsToTarget.fewestSteps(goal.Target, runs);
        var (found, missing) = (table.Found, table.Missing);
        var rule = target is not null ? "" : $"Target: {goal.Target:0.0000}, the highest test {metric} that every seed of some learning rate reaches at every batch size " +
            "(the lowest, over batch sizes, of the best learning rate's worst seed; override with --target)" +
            (goal.Idle.Length > 0 ? $", leaving out batch size {string.Join(", ", goal.Idle)}, where no learning rate improved on its first epoch. " : ". ");
        var resolution = "The test metric is evaluated at each epoch's end, so a trial's steps are those to the end of its first epoch at or above the target: " +
            "known to within one epoch (N/B steps at batch size B), and where that is the first epoch, only bounded (≤). Each seed's steps are its own; " +
            "a learning rate counts when every seed reaches the target (the median of their steps), and the fewest over learning rates is the batch size's.";
        var censored = StepsToTarget.censoredCells(goal.Target, runs);
        var bounds = found.Where(f => !f.Exact).Select(f => f.Batch.ToString()).ToList();
        page.Paragraph(rule + resolution +
            (bounds.Count > 0 ? $" At batch size {string.Join(", ", bounds)} the best learning rate reached it at the first evaluation: a bound, left out of the fits." : "") +
            (missing.Length > 0 ? $" Batch size {string.Join(", ", missing)} has no learning rate all of whose seeds reach it." : "") +
            (censored.Length > 0 ? $" Learning rates where only some seeds reach it (counted as not reaching): " +
                string.Join(", ", censored.Take(8).Select(c => $"B={c.Batch} lr={Page.Lr(c.Lr)} ({c.Reached} of {c.Seeds})")) + (censored.Length > 8 ? $" and {censored.Length - 8} more" : "") + "." : ""));
        if (found.Length == 0) return;
        page.Table(["batch size", "best lr", "steps", "examples", "measured"], found.Select(f => (IReadOnlyList<string>)[f.Batch.ToString(), Page.Lr(f.Lr),
            (f.Exact ? "" : "≤ ") + f.Steps.ToString("0", Inv), (f.Exact ? "" : "≤ ") + (f.Steps * f.Batch).ToString("0", Inv),
            f.Exact ? "within one epoch" : "at the first evaluation (a bound)"]));
        var points = found.Select(p => (object)new { x = p.Batch, y = p.Steps, series = p.Exact ? "steps to target (best lr)" : "at most (reached at the first evaluation)" }).ToList();
        var first = found.FirstOrDefault(f => f.Exact);
        var lines = first is null ? [] : new[] { first.Batch, found[^1].Batch }.Distinct()
            .Select(b => (object)new { x = (double)b, y = StepsToTarget.perfectScaling(first, b), series = "perfect scaling (steps ∝ 1/B)" }).ToList();
        var batches = found.Select(f => f.Batch).ToList();
        page.Add(new Figure(name("steps"), Figures.LogLog($"steps to target: {trials[0].Group}", points, lines, "batch size", "steps", batches),
            "Steps to reach the target against batch size, log-log" + (bounds.Count > 0 ? " (bounds, reached at the first evaluation, drawn apart)" : "") +
            (lines.Count > 0 ? $"; dashed: perfect scaling from batch size {first!.Batch}, the smallest measured" : "") + "."));
        CriticalBatchSection.Write(page, data, trials, runs, goal.Target, found, name, branches);
    }
}
