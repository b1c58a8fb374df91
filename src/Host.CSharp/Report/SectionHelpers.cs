using System.Globalization;
using Lrbs.Core.Analysis;
using Lrbs.Host.Storage.Rows;

namespace Lrbs.Host.Report;

/// <summary>What several sections share: a cell's values and its text, the bands of learning
/// curves, a trial's epochs.</summary>
static class SectionHelpers
{
    public static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>A cell's finished values (a diverged or failed repeat scores 0 for the fit).</summary>
    public static double[] Values(IEnumerable<TrialRow> cell, bool badAsZero) =>
        cell.Where(t => t.Finished || badAsZero).Select(t => t.Finished ? t.TestMetric ?? 0 : 0).ToArray();

    /// <summary>A cell as text: mean ± std of its finished values, with how many diverged or failed.</summary>
    public static string CellText(IReadOnlyList<TrialRow> cell, Func<TrialRow, double?> value)
    {
        var good = cell.Where(t => t.Finished && value(t) is not null).Select(t => value(t)!.Value).ToArray();
        var bad = cell.Count(t => !t.Finished);
        var why = cell.Any(t => t.Status == "diverged") ? "diverged" : "failed";
        if (good.Length == 0) return why;
        var text = Page.F(Statistics.mean(good)) + (good.Length > 1 ? " ± " + Page.F(Statistics.std(good)) : "");
        return bad > 0 ? $"{text} ({bad}/{cell.Count} {why})" : text;
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
