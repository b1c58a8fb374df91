using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>The shape of lr*(B) beyond one power law (OptimumShape), over the batch sizes whose
/// optimum the grid brackets: each one's vertex with its interval, the local slope between
/// neighbours beside the single k (the family of slopes tested with Holm's method), the surge
/// form fitted beside the power law, and the gradient noise scale where training ends.</summary>
static class OptimumSection
{
    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, ScalingFit.Fit? fit, OptimumBand.Band[] bands, int? rulesBase, Func<string, string> name)
    {
        if (fit is null || fit.Best.Length < 3) return;
        page.Heading(3, "the best learning rate against batch size");
        var best = ScalingFit.bestPoints(fit);
        var intervals = best.Select(p => Analyses.BestInterval(fit, p.Batch)).ToArray();
        var covers = fit.Coverage.IsTestSampling ? " (test-set sampling only: one seed)" : "";
        page.Table(["batch size", "best lr (vertex)", "95% interval"], best.Select((p, i) => (IReadOnlyList<string>)[p.Batch.ToString(), Page.Lr(p.Lr),
            intervals[i] is { } iv ? $"{Page.Lr(iv.Low)} to {Page.Lr(iv.High)}" : "n/a"]),
            $"the batch sizes whose optimum the grid brackets; intervals: {fit.Method}");

        var slopes = OptimumShape.localSlopes(fit);
        var verdictAllowed = Analyses.FailedPremises(fit).Length == 0;
        string Against(OptimumShape.Slope s) => double.IsNaN(s.P) ? "no test"
            : !verdictAllowed ? $"Holm-adjusted p = {Math.Min(s.P, 1):0.000} (no verdict: see below)"
            : s.Departs ? $"departs from k = {fit.K:0.00} (Holm-adjusted p = {s.P:0.000})" : $"agrees with k (Holm-adjusted p = {Math.Min(s.P, 1):0.00})";
        page.Table(["batch sizes", "local slope", "95% interval", "beside k"], slopes.Select(s => (IReadOnlyList<string>)[$"{s.From} to {s.To}", s.Slope.ToString("0.00", Inv),
            Analyses.Interval(s) is { } i ? $"{i.Low:0.00} to {i.High:0.00}" : "n/a", Against(s)]),
            $"local slope d log lr* / d log B between neighbouring batch sizes{covers}; each tested against k over the bootstrap, " +
            $"the {slopes.Length} tests controlled together by Holm's method (5% for the whole family)");
        var departs = slopes.Where(s => s.Departs && verdictAllowed).Select(s => $"{s.From} to {s.To}").ToList();
        var comparison = Analyses.CompareShapes(fit);
        var premises = Analyses.FailedPremises(fit);
        var family = slopes.Any(s => !double.IsNaN(s.P)) && premises.Length > 0
            ? $"No statement on where the local slopes depart from k: {string.Join("; ", premises)}. "
            : slopes.Any(s => !double.IsNaN(s.P))
            ? departs.Count > 0
                ? $"The single k = {fit.K:0.00} does not hold between batch sizes {string.Join(", ", departs)}: there the local slope departs from it, with the family of {slopes.Length} tests held to 5% (Holm). "
                : $"No local slope departs from k = {fit.K:0.00} with the family of {slopes.Length} tests held to 5% (Holm). "
            : "";
        page.Paragraph(family +
            (comparison is null ? $"The surge form needs at least 5 batch sizes with a bracketed optimum to be compared with the power law (here {best.Length})."
                : comparison.Sentence + " The surge form is Li et al. 2024 (NeurIPS), Eq. 2: lr*(B) = lr_max / (½ (√(B_noise/B) + √(B/B_noise))), " +
                  (comparison.Surge.AtSearchEdge ? "fitted in log lr." : $"fitted in log lr: lr_max = {Page.Lr(comparison.Surge.LrMax)}, B_noise = {comparison.Surge.BNoise:0.#}.")) +
            (fit.AtEdge > 0 ? $" {fit.AtEdge} batch size(s) whose optimum lies at the grid's edge are left out: they are bounds, not measurements." : ""));

        var noise = NoiseScale.Bins(data, trials);
        var end = noise.Length > 0 ? noise[^1] : null;
        if (end is not null)
            page.Paragraph($"Measured gradient noise scale where training ends: {NoiseScale.Text(end)}; {NoiseScale.Definition}. " +
                "Li et al.'s B_noise for Adam is defined from sign statistics, not B_simple's, so the two are expected near each other, not equal.");

        AddFigure(page, trials, fit, best, intervals, comparison, bands, rulesBase, end, name);
    }

    /// <summary>lr*(B) drawn: the vertices with their intervals, the fitted power law and surge
    /// form, the near-optimal band's closed ends, each scaling rule's line from the rules' base batch
    /// size (OptimumBand.rules, through that batch size's best lr, as BandSection tests them), and
    /// B_noise and B_simple where they fall on the axis.</summary>
    static void AddFigure(Page page, IReadOnlyList<TrialRow> trials, ScalingFit.Fit fit, ScalingFit.BestPoint[] best, ScalingFit.Interval?[] intervals,
        OptimumShape.Comparison? comparison, OptimumBand.Band[] bands, int? rulesBase, NoiseByLoss.Bin? end, Func<string, string> name)
    {
        var points = best.Select((p, i) => (object)new
        {
            x = p.Batch, y = p.Lr, lo = intervals[i]?.Low ?? p.Lr, hi = intervals[i]?.High ?? p.Lr,
            label = $"B={p.Batch}: lr* {Page.Lr(p.Lr)}"
        }).ToList();
        var xs = PowerLaw.logSpaced(best[0].Batch, best[^1].Batch, 40);
        var lines = new List<object>();
        if (Analyses.PowerLaw(best.Select(p => (double)p.Batch).ToArray(), best.Select(p => p.Lr).ToArray()) is { } law)
            lines.AddRange(xs.Select(x => (object)new { x, y = law.At(x), series = $"power law, k = {fit.K:0.00}" }));
        if (comparison is not null)
            lines.AddRange(xs.Select(x => (object)new { x, y = OptimumShape.surge(comparison.Surge.LrMax, comparison.Surge.BNoise, x), series = "surge (Li et al. 2024)" }));
        // the near-optimal band's ends (BandSection), where a batch size's band is closed there
        foreach (var b in bands)
        {
            if (!b.LowOpen) lines.Add(new { x = b.Batch, y = b.Low, series = "near-optimal band (low end)" });
            if (!b.HighOpen) lines.Add(new { x = b.Batch, y = b.High, series = "near-optimal band (high end)" });
        }
        // each rule's prediction from the base (BandSection.RulesSentence reads the same lines against the band)
        var b0 = rulesBase ?? bands.FirstOrDefault()?.Batch;
        var baseBand = bands.FirstOrDefault(b => b.Batch == b0);
        // from the base itself, which may lie outside the bracketed vertices
        var ruleXs = baseBand is null ? xs : PowerLaw.logSpaced(Math.Min(baseBand.Batch, best[0].Batch), Math.Max(baseBand.Batch, best[^1].Batch), 40);
        if (baseBand is not null)
            foreach (var rule in Analyses.Rules)
                lines.AddRange(ruleXs.Select(x => (object)new { x, y = baseBand.BestLr * Math.Pow(x / baseBand.Batch, rule.Exponent), series = $"{rule.Name} from B = {baseBand.Batch}" }));
        var marks = new List<object>();
        if (comparison is not null && !comparison.Surge.AtSearchEdge && comparison.Surge.BNoise >= best[0].Batch && comparison.Surge.BNoise <= best[^1].Batch)
            marks.Add(new { x = comparison.Surge.BNoise, label = "B_noise (surge fit)" });
        if (end is not null && end.B >= best[0].Batch / 1.5 && end.B <= best[^1].Batch * 1.5) marks.Add(new { x = end.B, label = "B_simple (end of training)" });
        var drawn = new List<string> { "the best learning rate of each batch size with a bracketed optimum (the vertex) with its 95% interval" };
        if (lines.Count > 0) drawn.Add("dashed: the power law" + (comparison is not null ? " and the surge form" : "") + " fitted to them" +
            (bands.Any(b => !b.LowOpen || !b.HighOpen) ? ", and the near-optimal band's ends (learning rates within the tolerance of the best; see below)" : "") +
            (baseBand is not null ? $"; keep lr, square-root and linear: each rule's learning rate from B = {baseBand.Batch}'s best (where it leaves the band: below)" : ""));
        if (marks.Count > 0) drawn.Add("gray: " + string.Join(" and ", marks.Select(m => (string)m.GetType().GetProperty("label")!.GetValue(m)!)));
        // the axis spans every batch size drawn: a band's end can lie beyond the bracketed vertices
        var axis = best.Select(p => p.Batch).Concat(bands.Where(b => !b.LowOpen || !b.HighOpen).Select(b => b.Batch)).Distinct().Order().ToList();
        page.Add(new Figure(name("optimum"), Figures.Optimum($"best learning rate: {trials[0].Group}", points, lines, marks, axis),
            "Log-log: " + string.Join("; ", drawn) + "."));
    }
}
