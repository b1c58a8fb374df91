using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>Learning curves: per epoch the training loss, validation loss and test metric of the
/// best learning rate of each batch size (or of every cell in --slice), mean ± std over repeats.</summary>
public static class CurvesSection
{
    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, string? slice, Func<string, string> name)
    {
        if (trials.Count == 0) return;
        var metric = trials[0].Metric;
        // default slice: the best learning rate of each batch size; with --slice, every cell in it
        var chosen = slice is not null
            ? trials.GroupBy(t => (t.BatchSize, t.Lr, t.Schedule)).SelectMany(g => g).ToList()
            : trials.GroupBy(t => (t.BatchSize, t.Schedule)).SelectMany(row => row.GroupBy(t => t.Lr)
                .OrderByDescending(cell => Values(cell, false) is { Length: > 0 } v ? Statistics.mean(v) : double.NegativeInfinity).First()).ToList();
        var schedules = trials.Select(t => t.Schedule).Distinct().Count() > 1;
        var series = chosen.Select(t => ($"B={t.BatchSize} lr={Page.Lr(t.Lr)}" + (schedules ? $" {t.Schedule}" : ""), EpochsOf(data, t.Id))).ToList();
        var measures = new List<(string Column, Func<EpochRow, double?> Read)> { ("train_loss", e => e.TrainLoss) };
        if (data.Epochs.Any(e => e.ValLoss is not null) && chosen.Any(t => EpochsOf(data, t.Id).Any(e => e.ValLoss is not null)))
            measures.Add(("val_loss", e => e.ValLoss));
        measures.Add(("test_metric", e => e.TestMetric));
        var points = Bands(series, measures).ToList();
        if (points.Count == 0) return;
        var title = $"learning curves: {trials[0].Group}" + (slice is null ? " (best lr of each batch size)" : $" ({slice})");
        var seeds = chosen.GroupBy(t => (t.BatchSize, t.Lr, t.Schedule)).Max(c => c.Count());
        page.Add(new Figure(name("curves"),
            Figures.Curves(title, points, measures.Select(m => (m.Column, m.Column.Replace('_', ' ').Replace("metric", metric))).ToList()),
            "Per epoch: training loss" + (measures.Count == 3 ? ", validation loss" : "") +
            $" and test {metric}; " + (seeds > 1 ? $"lines are means and bands ±1 standard deviation over the {seeds} seeds." : "one seed per line, so no band.")));
    }
}
