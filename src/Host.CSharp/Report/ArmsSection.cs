using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>Scaling-rule arms compared (trials of one dataset, model and optimizer that differ in
/// `scaling`): steps to one common target per arm and batch size (StepsToTarget), and the final
/// test metric, so that a rule that keeps the steps falling as the batch grows stands out.</summary>
static class ArmsSection
{
    /// <summary>An arm's name: its scaling rule (none, linear, sqrt, adam-sqrt-sde, beta2-halflife) with its base batch.</summary>
    static string Arm(TrialRow t) => t.Scaling is null ? "none" : t.Scaling.Split(':') is var p && p.Length >= 2 ? $"{p[0]} (B0 {p[1]})" : t.Scaling;

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, double? target, Func<string, string> name)
    {
        var done = trials.Where(t => t.Learned).ToList();
        var arms = done.GroupBy(Arm).OrderBy(g => data.FirstPlanned(g)).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (arms.Count < 2) return;
        var epochs = data.Epochs.ToLookup(e => e.Id);
        var runs = arms.ToDictionary(a => a.Key, a => StepsSection.Runs(data, a));
        var chance = ChanceThreshold(trials);
        // the strictest target some arm holds at every batch size: the highest of the arms' own default targets
        var own = runs.ToDictionary(kv => kv.Key, kv => Analyses.Goal(null, chance, kv.Value).Target);
        var goal = target ?? own.Values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max();
        var metric = trials[0].Metric;
        page.Heading(2, $"scaling-rule arms: {trials[0].Dataset} / {trials[0].Model} / {trials[0].Optimizer}");
        if (!double.IsFinite(goal)) { page.Paragraph("No common target: no arm improved its test metric after the first epoch."); return; }
        if (double.IsFinite(chance) && goal <= chance) { page.Paragraph($"No common target above chance ({chance:0.0000}): the arms' targets show no learning."); return; }
        var tables = runs.ToDictionary(kv => kv.Key, kv => StepsToTarget.fewestSteps(goal, kv.Value));
        var batches = done.Select(t => t.BatchSize).Distinct().Order().ToList();
        page.Paragraph($"Each arm sets the learning rate (and for adam-sqrt-sde and beta2-halflife the optimizer's betas and epsilon) from one base by its rule. " +
            $"Target: test {metric} {goal:0.0000}" + (target is null ? ", the highest of the arms' own targets (each arm's own: the lowest of its batch sizes' final test " +
            $"{metric} that every seed reaches), so the best arm reaches it at every batch size; override with --target. " : ". ") +
            "Steps are the updates to the end of the first epoch at or above the target (the median over seeds when every seed reaches it; ≤: at the first evaluation, a bound); " +
            "\"never\" means not every seed within its epochs. The arms set their learning rates by rule, not tuned per batch size: no critical batch size is read from them.");
        page.Table(["batch size", .. arms.Select(a => a.Key)], batches.Select(b => (IReadOnlyList<string>)[b.ToString(), .. arms.Select(a =>
        {
            var found = tables[a.Key].Found.FirstOrDefault(f => f.Batch == b);
            var cell = a.Where(t => t.BatchSize == b).ToList();
            var final = cell.Count == 0 ? "" : " (" + CellText(cell, t => t.TestMetric) + ")";
            return cell.Count == 0 ? "" : (found is null ? "never" : (found.Exact ? "" : "≤ ") + found.Steps.ToString("0", Inv)) + final;
        })]), $"steps to test {metric} {goal:0.0000} (final test {metric} in brackets)");
        var points = arms.SelectMany(a => tables[a.Key].Found.Select(f => (object)new { x = f.Batch, y = f.Steps, series = a.Key })).ToList();
        var lines = arms.SelectMany(a => tables[a.Key].Found.Select(f => (object)new { x = f.Batch, y = f.Steps, series = a.Key })).ToList();
        page.Add(new Figure(name("arms"), Figures.LogLog($"steps to test {metric} {goal:0.000}: scaling-rule arms", points, lines, "batch size", "steps", batches),
            "Steps to the common target against batch size for each arm, log-log; a batch size missing from an arm's line never reached the target."));
    }

    /// <summary>Whether a set of trials holds arms to compare: more than one scaling value.</summary>
    public static bool HasArms(IEnumerable<TrialRow> trials) => trials.Select(Arm).Distinct().Count() > 1;
}
