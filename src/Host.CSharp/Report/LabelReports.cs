using Lrbs.Core.Losses;

namespace Lrbs.Host.Report;

/// <summary>A trial's per-label (or per-class) precision, recall, F1 and support from its test
/// predictions (Metrics.multiLabel / Metrics.classReports).</summary>
static class LabelReports
{
    /// <summary>The reports, the label (or class) names, and the share of rows with every label right
    /// (single-label: the accuracy); null without label predictions.</summary>
    public static (bool SingleLabel, string[] Labels, Metrics.LabelReport[] Reports, double Exact)? Of(ReportData data, string id)
    {
        var labels = data.Rows<LabelPredictionRow>(ResultsSchema.LabelPredictions,
            $"SELECT * FROM label_predictions WHERE trial_id = {Sql.Literal(id)} ORDER BY row, label");
        if (labels.Count > 0)
        {
            var names = labels.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
            var (reports, exact) = Metrics.multiLabel(labels.Select(r => (float)r.Probability).ToArray(),
                labels.Select(r => r.Truth ? 1f : 0f).ToArray(), names.Length).ToValueTuple();
            return (false, names, reports, exact);
        }
        var classes = data.Rows<ClassPredictionRow>(ResultsSchema.ClassPredictions,
            $"SELECT * FROM class_predictions WHERE trial_id = {Sql.Literal(id)} ORDER BY row");
        if (classes.Count == 0) return null;
        var all = classes.SelectMany(r => new[] { r.Label, r.Predicted }).Distinct().Order(StringComparer.Ordinal).ToArray();
        var index = all.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var (byClass, accuracy) = Metrics.classReports(classes.Select(r => index[r.Predicted]).ToArray(),
            classes.Select(r => index[r.Label]).ToArray(), all.Length).ToValueTuple();
        // the classes of the test set (a class only ever predicted has no support to report)
        var shown = all.Where(c => classes.Any(r => r.Label == c)).ToArray();
        return (true, shown, shown.Select(c => byClass[index[c]]).ToArray(), accuracy);
    }
}
