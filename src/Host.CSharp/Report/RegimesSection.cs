using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>Schedule regimes side by side (S6): final metrics per regime, their curves, and
/// per-label (or per-class) precision, recall, F1 and support from the test predictions.</summary>
public static class RegimesSection
{
    static string MeanStd(IEnumerable<double?> values, string format = "0.0000")
    {
        var v = values.Where(x => x is double d && double.IsFinite(d)).Select(x => x!.Value).ToArray();
        if (v.Length == 0) return "–";
        var sd = Statistics.std(v);
        return Page.F(Statistics.mean(v), format) + (v.Length > 1 && sd > 0 ? " ± " + Page.F(sd, format) : "");
    }

    static string Mean(IEnumerable<double> values) => Page.F(Statistics.mean(values.ToArray()));

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, Func<string, string> name)
    {
        page.Heading(3, "training regimes, on equal epochs");
        var metric = trials[0].Metric;
        var last = trials.ToDictionary(t => t.Id, t => EpochsOf(data, t.Id).LastOrDefault());
        page.Table(["schedule", "trials", "epochs", $"train {metric}", $"validation {metric}", $"test {metric}"],
            trials.GroupBy(t => t.Schedule).Select(g => (IReadOnlyList<string>)[g.Key, g.Count().ToString(), MeanStd(g.Select(t => (double?)t.Epochs), "0.#"),
                MeanStd(g.Select(t => last[t.Id]?.TrainMetric)), MeanStd(g.Select(t => last[t.Id]?.ValMetric)), MeanStd(g.Select(t => t.TestMetric))]),
            "mean ± std over repeats, at the end of training");
        var series = trials.Select(t => (t.Schedule, EpochsOf(data, t.Id))).ToList();
        page.Add(new Figure(name("regimes"), Figures.Curves("regimes: validation loss, learning rate and batch size per epoch",
            Bands(series, [("val_loss", e => e.ValLoss), ("lr", e => e.Lr), ("batch_size", e => e.BatchSize)]).ToList(),
            [("val_loss", "validation loss"), ("lr", "learning rate"), ("batch_size", "batch size")]),
            "Per regime (mean and ±1 std over repeats): the validation loss, and the learning rate and batch size each schedule set."));
        if (!data.HasPredictions) return;
        var perTrial = trials.Select(t => (t.Schedule, Reports: LabelReports.Of(data, t.Id))).Where(p => p.Reports is not null)
            .Select(p => (p.Schedule, Reports: p.Reports!.Value)).ToList();
        if (perTrial.Count == 0) return;
        var single = perTrial[0].Reports.SingleLabel;
        page.Table(["schedule", single ? "class" : "label", "precision", "recall", "F1", "support"],
            perTrial.SelectMany(p => p.Reports.Labels.Select((label, j) => (p.Schedule, Label: label, Report: p.Reports.Reports[j])))
                .GroupBy(r => (r.Schedule, r.Label)).OrderBy(g => g.Key.Schedule).ThenBy(g => g.Key.Label, StringComparer.Ordinal)
                .Select(g => (IReadOnlyList<string>)[g.Key.Schedule, g.Key.Label, Mean(g.Select(r => r.Report.Precision)),
                    Mean(g.Select(r => r.Report.Recall)), Mean(g.Select(r => r.Report.F1)),
                    Statistics.mean(g.Select(r => (double)r.Report.Support).ToArray()).ToString("0", Inv)]),
            "test set, mean over repeats (0/0 counts as 0, as scikit-learn)");
        page.Table(["schedule", "all labels right"], perTrial.GroupBy(p => p.Schedule).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (IReadOnlyList<string>)[g.Key, Mean(g.Select(p => p.Reports.Exact))]),
            "the fraction of test examples with every label right (single-label: the accuracy)");
    }
}
