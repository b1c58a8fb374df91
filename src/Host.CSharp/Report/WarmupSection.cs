using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>A batch-size warm-up (schedule batch-points, `lrbs warmup`) against the constant batch
/// sizes of the same group (WarmupComparison): steps and examples to a common target per arm, the
/// median over seeds with their range, and whether the warm-up saved steps at no cost in examples,
/// as Merrill et al. (2025, §4) claim for theirs.</summary>
public static class WarmupSection
{
    public static bool HasWarmup(IReadOnlyList<TrialRow> trials) =>
        trials.Any(t => t.Schedule.StartsWith("batch-points:", StringComparison.Ordinal)) && trials.Any(t => t.Schedule == "constant");

    static string ArmName(TrialRow t) => t.Schedule == "constant" ? $"constant batch {t.BatchSize}" : $"warm-up from batch {t.BatchSize}";

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, double? target)
    {
        var finished = trials.Where(t => t.Finished).ToList();
        var arms = finished.GroupBy(t => (t.BatchSize, t.Schedule, t.Lr)).OrderBy(g => g.Key.Schedule != "constant").ThenBy(g => g.Key.BatchSize).ToList();
        page.Heading(3, "batch-size warm-up against constant batch sizes");
        // the highest test metric every seed of the warm-up and of the constant arm it starts from reached: the two compared
        var warmArm = arms.FirstOrDefault(a => a.Key.Schedule != "constant");
        var compared = finished.Where(t => warmArm is not null && t.BatchSize == warmArm.Key.BatchSize).Select(t => t.Id).ToHashSet();
        var best = data.Epochs.Where(e => compared.Contains(e.Id)).GroupBy(e => e.Id).Select(g => g.Max(e => e.TestMetric ?? double.NaN)).ToList();
        var goal = target ?? (best.Count > 0 ? best.Min() : double.NaN);
        if (!double.IsFinite(goal)) { page.Paragraph("No common target: no arm has a test metric."); return; }
        var reaches = arms.Select(a => (Arm: a, Reach: WarmupComparison.reach(goal, new WarmupComparison.Arm(ArmName(a.First()),
            StepsSection.Runs(data, a.ToList()), a.First().TrainRows)))).ToList();
        string Range(double median, double lo, double hi) => double.IsFinite(median) ? $"{median:0} ({lo:0} to {hi:0})" : "never";
        page.Table(["arm", "schedule", "seeds at the target", "steps to the target", "examples to the target", $"final test {trials[0].Metric}"],
            reaches.Select(r => (IReadOnlyList<string>)[
                r.Reach.Name, r.Arm.Key.Schedule, $"{r.Reach.Reached} of {r.Reach.Seeds}" + (r.Reach.AtFirst > 0 ? $" ({r.Reach.AtFirst} at the first evaluation: a bound)" : ""),
                Range(r.Reach.Steps, r.Reach.StepsLow, r.Reach.StepsHigh), Range(r.Reach.Examples, r.Reach.ExamplesLow, r.Reach.ExamplesHigh),
                CellText(r.Arm.ToList(), t => t.TestMetric)]),
            $"Target: test {trials[0].Metric} {goal:0.0000}" + (target is null ? ", the highest every seed of the warm-up and of the constant arm at its starting batch size reached (override with --target)" : "") +
            "; steps and examples to the end of the first epoch at or above it, the median over seeds with their range.");
        var warm = reaches.FirstOrDefault(r => r.Arm.Key.Schedule != "constant");
        var b0 = reaches.FirstOrDefault(r => r.Arm.Key.Schedule == "constant" && r.Arm.Key.BatchSize == warm.Arm?.Key.BatchSize);
        if (warm.Arm is null || b0.Arm is null) { page.Paragraph("No verdict: the warm-up needs a constant arm at its starting batch size."); return; }
        var v = WarmupComparison.verdict(warm.Reach, b0.Reach);
        page.Paragraph(v switch
        {
            WarmupComparison.Verdict.NotComparable n => $"No verdict on the warm-up: {n.why}.",
            WarmupComparison.Verdict.Compared c => (c.savedSteps
                ? $"The warm-up saved steps: every seed needed fewer than every seed of {b0.Reach.Name} ({c.stepRatio:0.00} of its median)"
                : $"The warm-up did not save steps beyond the seeds' spread (median {c.stepRatio:0.00} of {b0.Reach.Name}'s; the ranges overlap)") +
                (c.examples == "more" ? $"; it needed more examples than {b0.Reach.Name} (every seed), so the steps it saved cost examples."
                    : c.examples == "fewer" ? $"; it also needed fewer examples than {b0.Reach.Name} (every seed)."
                    : $"; whether it cost examples these seeds cannot tell (medians {warm.Reach.Examples:0} against {b0.Reach.Examples:0}, ranges overlapping): " +
                      "the paper's claim of fewer steps at no cost in examples is neither shown nor ruled out."),
            _ => "",
        });
    }
}
