using Lrbs.Core.Analysis;

namespace Lrbs.Host.Report;

/// <summary>What several sections share: a cell's values and its text, the bands of learning
/// curves, a trial's epochs.</summary>
static class SectionHelpers
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A cell's values of the trials that learned (with `badAsZero`, a diverged, failed or
    /// collapsed repeat scores 0, as the fits and the search score it).</summary>
    public static double[] Values(IEnumerable<TrialRow> cell, bool badAsZero) =>
        cell.Where(t => t.Learned || badAsZero).Select(t => t.Learned ? t.TestMetric ?? 0 : 0).ToArray();

    /// <summary>A cell as text: mean ± std of its finished values (a collapsed trial's value counts:
    /// it is what it measured), with how many diverged, failed or collapsed.</summary>
    public static string CellText(IReadOnlyList<TrialRow> cell, Func<TrialRow, double?> value)
    {
        var good = cell.Where(t => t.Finished && value(t) is not null).Select(t => value(t)!.Value).ToArray();
        var notes = new List<string>();
        foreach (var (status, words) in new[] { ("diverged", "diverged"), ("failed", "failed") })
            if (cell.Count(t => t.Status == status) is var n && n > 0) notes.Add($"{n}/{cell.Count} {words}");
        if (cell.Count(t => t.Finished && t.Collapsed == true) is var c && c > 0) notes.Add($"{c}/{cell.Count} collapsed");
        if (good.Length == 0) return cell.Any(t => t.Status == "diverged") ? "diverged" : "failed";
        var text = Page.F(Statistics.mean(good)) + (good.Length > 1 ? " ± " + Page.F(Statistics.std(good)) : "");
        return notes.Count > 0 ? $"{text} ({string.Join(", ", notes)})" : text;
    }

    /// <summary>The highest metric that still counts as chance among these trials
    /// (Collapse.threshold of each trial's chance level on its test rows); NaN where any is unknown.</summary>
    public static double ChanceThreshold(IEnumerable<TrialRow> trials)
    {
        var t = trials.Select(r => r.ChanceMetric is double c ? Lrbs.Core.Training.Collapse.threshold(c, r.TestRows) : double.NaN).ToList();
        return t.Count == 0 || t.Any(double.IsNaN) ? double.NaN : t.Max();
    }

    /// <summary>Mean and spread over repeats of a per-epoch measure, per series.</summary>
    public static IEnumerable<object> Bands(IEnumerable<(string Series, IReadOnlyList<EpochRow> Epochs)> trials,
        IReadOnlyList<(string Field, Func<EpochRow, double?> Value)> measures, Func<EpochRow, double>? x = null) =>
        from t in trials.GroupBy(t => t.Series)
        from m in measures
        from e in t.SelectMany(r => r.Epochs).GroupBy(e => x?.Invoke(e) ?? e.Epoch)
        let v = e.Select(m.Value).Where(v => v is double d && double.IsFinite(d)).Select(v => v!.Value).ToArray()
        where v.Length > 0
        let mean = Statistics.mean(v)
        let sd = Statistics.std(v)
        select (object)new { series = t.Key, measure = m.Field, epoch = e.Key, x = e.Key, mean, lo = mean - sd, hi = mean + sd };

    public static IReadOnlyList<EpochRow> EpochsOf(ReportData data, string id) => data.Epochs.Where(e => e.Id == id).ToList();
}
