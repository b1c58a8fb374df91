using Lrbs.Core.Analysis;
using Lrbs.Host.Storage.Rows;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>The shape of lr*(B) beyond one power law (OptimumShape): each batch size's best
/// learning rate with its interval, the local slope between neighbouring batch sizes beside the
/// single k, the surge form fitted beside the power law with a model comparison, and the
/// measured gradient noise scale B_simple on the same axis.</summary>
static class OptimumSection
{
    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, ScalingFit.Fit? fit, Func<string, string> name)
    {
        if (fit is null || fit.Best.Length < 3 || !ScalingFit.measured(fit)) return;
        page.Heading(3, "the best learning rate against batch size");
        var best = fit.Best.OrderBy(p => p.Item1).ToArray();
        var intervals = best.Select((p, i) => BestInterval(fit, i)).ToArray();
        page.Table(["batch size", "best lr", "95% interval"], best.Select((p, i) => (IReadOnlyList<string>)[p.Item1.ToString(), Page.Lr(p.Item2),
            intervals[i] is { } iv ? $"{Page.Lr(iv.Low)} to {Page.Lr(iv.High)}" : "n/a"]), $"the best learning rate of each batch size; intervals: {fit.Method}");

        var slopes = OptimumShape.localSlopes(fit);
        string Against(OptimumShape.Slope s) => s.Interval?.Value is { } i
            ? (fit.K < i.Low || fit.K > i.High ? $"disagrees with k = {fit.K:0.00}" : "agrees with k")
            : "no interval";
        page.Table(["batch sizes", "local slope", "95% interval", "beside k"], slopes.Select(s => (IReadOnlyList<string>)[$"{s.From} to {s.To}", s.Slope.ToString("0.00", Inv),
            s.Interval?.Value is { } i ? $"{i.Low:0.00} to {i.High:0.00}" : "n/a", Against(s)]),
            "local slope d log lr* / d log B between neighbouring batch sizes");
        var disagree = slopes.Where(s => Against(s).StartsWith("disagrees")).Select(s => $"{s.From} to {s.To}").ToList();
        var comparison = OptimumShape.compare(fit)?.Value;
        page.Paragraph((disagree.Count > 0 ? $"The single k = {fit.K:0.00} does not hold between batch sizes {string.Join(", ", disagree)}, where the local slope's interval excludes it. "
                : slopes.Any(s => s.Interval is not null) ? $"Every local slope's interval contains k = {fit.K:0.00}. " : "") +
            (comparison is null ? $"The surge form needs at least 5 batch sizes to be compared with the power law (here {best.Length})."
                : comparison.Sentence + " The surge form is Li et al. 2024 (NeurIPS), Eq. 2: lr*(B) = lr_max / (½ (√(B_noise/B) + √(B/B_noise))), " +
                  (comparison.Surge.AtSearchEdge ? "fitted in log lr." : $"fitted in log lr: lr_max = {Page.Lr(comparison.Surge.LrMax)}, B_noise = {comparison.Surge.BNoise:0.#}.")));

        var bSimple = BSimple(data, trials);
        if (bSimple is double bs)
            page.Paragraph($"Measured gradient noise scale: B_simple = {bs:0.#} (the median over the group's finished trials of the last epoch's estimate). " +
                "Li et al.'s B_noise for Adam is defined from sign statistics, not B_simple's, so the two are expected near each other, not equal.");

        var points = best.Select((p, i) => (object)new { x = p.Item1, y = p.Item2, lo = intervals[i]?.Low ?? p.Item2, hi = intervals[i]?.High ?? p.Item2,
            label = $"B={p.Item1}: lr* {Page.Lr(p.Item2)}" }).ToList();
        var xs = PowerLaw.logSpaced(best[0].Item1, best[^1].Item1, 40);
        var lines = new List<object>();
        if (PowerLaw.fit(best.Select(p => (double)p.Item1).ToArray(), best.Select(p => p.Item2).ToArray())?.Value is { } law)
            lines.AddRange(xs.Select(x => (object)new { x, y = law.At(x), series = $"power law, k = {fit.K:0.00}" }));
        if (comparison is not null)
            lines.AddRange(xs.Select(x => (object)new { x, y = OptimumShape.surge(comparison.Surge.LrMax, comparison.Surge.BNoise, x), series = "surge (Li et al. 2024)" }));
        var marks = new List<object>();
        if (comparison is not null && !comparison.Surge.AtSearchEdge && comparison.Surge.BNoise >= best[0].Item1 && comparison.Surge.BNoise <= best[^1].Item1)
            marks.Add(new { x = comparison.Surge.BNoise, label = "B_noise (surge fit)" });
        if (bSimple is double b && b >= best[0].Item1 / 4.0 && b <= best[^1].Item1 * 4.0) marks.Add(new { x = b, label = "B_simple (measured)" });
        page.Add(new Figure(name("optimum"), Figures.Optimum($"best learning rate: {trials[0].Group}", points, lines, marks),
            "The best learning rate of each batch size (parabola vertex) with its 95% interval, log-log; dashed: the power law and the surge form fitted to them; " +
            "gray: the surge's peak and the measured noise scale, where they fall near the batch sizes run."));
    }

    /// <summary>The 95% interval of batch size i's best learning rate over the fit's replicates.</summary>
    static ScalingFit.Interval? BestInterval(ScalingFit.Fit fit, int i)
    {
        if (fit.Replicates.Length == 0) return null;
        var b = fit.Best.OrderBy(p => p.Item1).ElementAt(i).Item1;
        var values = fit.Replicates.SelectMany(r => r.Where(p => p.Item1 == b).Select(p => Math.Log(p.Item2))).ToArray();
        var interval = Statistics.percentileInterval(fit.Replicates.Length, values)?.Value;
        return interval is null ? null : new ScalingFit.Interval(Math.Exp(interval.Item1), Math.Exp(interval.Item2));
    }

    /// <summary>The median of the last epoch's B_simple over a group's finished trials; null where none was measured.</summary>
    static double? BSimple(ReportData data, IReadOnlyList<TrialRow> trials)
    {
        var ids = trials.Where(t => t.Finished).Select(t => t.Id).ToHashSet();
        var last = data.Epochs.Where(e => ids.Contains(e.Id)).GroupBy(e => e.Id).Select(g => g.MaxBy(e => e.Epoch)!.GnsBSimple)
            .Where(v => v is double d && double.IsFinite(d) && d > 0).Select(v => v!.Value).ToArray();
        return last.Length == 0 ? null : Statistics.median(last);
    }
}
