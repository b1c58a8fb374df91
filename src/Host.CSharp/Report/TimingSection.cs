using Lrbs.Core.Analysis;

namespace Lrbs.Host.Report;

/// <summary>Wall time per trial and training time per epoch against batch size, with their
/// log-log slopes (PowerLaw.fit).</summary>
public static class TimingSection
{
    public static void Write(Page page, IReadOnlyList<TrialRow> trials, Func<string, string> name)
    {
        var done = trials.Where(t => t.Finished && t.Epochs > 0).ToList();
        if (done.Select(t => t.BatchSize).Distinct().Count() < 2) return;
        var series = new (string Name, Func<TrialRow, double> Y)[]
        {
            ("seconds per trial", t => t.WallSeconds),
            ("training seconds per epoch", t => (t.TrainSeconds ?? 0) / t.Epochs),
        };
        var points = new List<object>();
        var lines = new List<object>();
        var slopes = new List<string>();
        foreach (var (s, y) in series)
        {
            var xs = done.Select(t => (double)t.BatchSize).ToArray();
            var ys = done.Select(y).ToArray();
            points.AddRange(done.Select(t => (object)new { x = t.BatchSize, y = y(t), series = s }));
            if (Analyses.PowerLaw(xs, ys) is not { } law) continue;
            slopes.Add($"{s}: slope {law.Slope:0.00}");
            foreach (var x in new[] { xs.Min(), xs.Max() }) lines.Add(new { x, y = law.At(x), series = $"fit: {s}" });
        }
        var batches = done.Select(t => t.BatchSize).Distinct().Order().ToList();
        page.Add(new Figure(name("time"), Figures.LogLog($"time against batch size: {trials[0].Group}", points, lines, "batch size", "seconds", batches),
            "Wall time per trial and training time per epoch against batch size, log-log, with least-squares lines (slope -1 would be time ∝ 1/B)."));
        page.Paragraph("Fitted log-log slopes: " + string.Join("; ", slopes) + "." +
            (done.Any(t => t.PackSize > 1) ? " Some trials trained in packs: their wall time is the pack's." : ""));
    }
}
