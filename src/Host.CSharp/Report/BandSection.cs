using Lrbs.Core.Analysis;

namespace Lrbs.Host.Report;

/// <summary>How flat the optimum is (OptimumBand): per batch size the learning rates within the
/// noise of the best, with bootstrap intervals on both ends; how the band's width changes with
/// the batch size; where each scaling rule, started at the smallest batch size, first leaves the
/// band; and for SGD, whether Smith and Le's noise scale g = lr N / (B (1 - m)) collapses the
/// grid. Each statement is made only as strongly as its interval allows.</summary>
static class BandSection
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static void Write(Page page, Grid grid, IReadOnlyList<TrialRow> trials, ScalingFit.Fit? fit, OptimumBand.Band[] bands, ReportOptions options, Func<string, string> name)
    {
        if (bands.Count(b => b.Closed) == 0) return; // every band runs to the grid's edge: nothing is located
        page.Heading(3, "the near-optimal band");
        var cells = ScalingSection.Cells(grid);
        var replicates = OptimumBand.replicate(5UL, options.Tolerance, cells);
        var ends = OptimumBand.intervals(replicates).ToDictionary(i => i.Batch);
        string End(double v, bool open, string side) => open ? (side == "low" ? "≤ " : "≥ ") + Page.Lr(v) : Page.Lr(v);
        string Ci(OptimumBand.Ends? e) => e is null ? "not bounded" : $"{Page.Lr(e.Low)} to {Page.Lr(e.High)}";
        page.Table(["batch size", "best lr", "band", "low end 95%", "high end 95%", "width (decades)"],
            bands.Select(b => (IReadOnlyList<string>)[b.Batch.ToString(Inv), Page.Lr(b.BestLr), $"{End(b.Low, b.LowOpen, "low")} to {End(b.High, b.HighOpen, "high")}",
                ends.TryGetValue(b.Batch, out var e) ? Ci(Analyses.End(e, high: false)) : "n/a", ends.TryGetValue(b.Batch, out var f) ? Ci(Analyses.End(f, high: true)) : "n/a",
                (b.Closed ? "" : "≥ ") + b.Decades.ToString("0.00", Inv)]),
            (options.BandTolerance is double f ? $"the learning rates whose mean test metric is within {f:0.###%} of the best cell's, "
                : "the learning rates whose mean test metric is within one standard error of the best cell's (its seeds' spread, at least the test rows' sampling error), ") +
            "read linearly in log lr between the points run; ≤/≥: the grid's edge cuts the band there (a bound); intervals: 1000 resamples of the seeds, drawn jointly across cells" +
            (replicates.Length == 0 ? " (none here: fewer than two seeds in every cell)" : ""));
        page.Paragraph(WidthSentence(bands, replicates) + " " + RulesSentence(bands, replicates, options.RulesBase));
        RulesTable(page, bands);
        if (!trials[0].Optimizer.StartsWith("sgd", StringComparison.Ordinal)) return;
        var momentum = Momentum(trials[0].Optimizer);
        if (fit is not null && Analyses.Collapse(fit, trials[0].TrainRows, momentum) is { } c)
            page.Paragraph(CollapseSentence(c, fit));
        AddNoiseScaleFigure(page, trials, momentum, name);
    }

    /// <summary>Every finished trial's test metric against its noise scale g (OptimumBand.noiseScale),
    /// one colour per batch size: Smith and Le predict the colours peak at one g.</summary>
    static void AddNoiseScaleFigure(Page page, IReadOnlyList<TrialRow> trials, double momentum, Func<string, string> name)
    {
        var shown = trials.Where(t => t.Finished && t.TestMetric is double).ToList();
        if (shown.Select(t => t.BatchSize).Distinct().Count() < 2) return;
        var points = shown.Select(t => (object)new
        {
            g = OptimumBand.noiseScale(t.Lr, t.TrainRows, t.BatchSize, momentum), metric = t.TestMetric, batch = t.BatchSize, lr = t.Lr,
        });
        var batches = shown.Select(t => t.BatchSize).Distinct().Order().ToList();
        var metric = $"test {trials[0].Metric}";
        var left = trials.Count - shown.Count;
        // the axis starts at the lowest learned trial's metric (rounded down to 0.01): collapsed
        // trials sit at chance, far below, and would flatten every peak
        var learned = shown.Where(t => t.Learned).Select(t => t.TestMetric!.Value).ToList();
        var high = shown.Max(t => t.TestMetric!.Value);
        var low = learned.Count > 0 ? Math.Floor(learned.Min() * 100) / 100 : shown.Min(t => t.TestMetric!.Value);
        var below = shown.Count(t => t.TestMetric < low);
        var lowText = low.ToString("0.00", Inv);
        page.Add(new Figure(name("noise-scale"), Figures.NoiseScale($"{metric} against the noise scale g", points, batches, metric, low, Math.Ceiling(high * 100) / 100 + 0.01),
            $"Each finished trial's {metric} against Smith and Le's noise scale g = lr N / (B (1 - m)) (N = {trials[0].TrainRows:N0} training rows, m = {momentum.ToString(Inv)}), " +
            "one colour per batch size; if g collapsed the grid, every colour would peak at the same g" +
            (below > 0 ? $"; the axis starts at {lowText}, the lowest learned trial's, so {below} collapsed trial(s) below it are cut off" : "") +
            (left > 0 ? $" ({left} diverged or failed trial(s) have no test metric and are not drawn)." : ".")));
    }

    /// <summary>How the band's width changes with the batch size, as strongly as its interval allows.</summary>
    static string WidthSentence(OptimumBand.Band[] bands, OptimumBand.Band[][] replicates)
    {
        var slope = Analyses.WidthSlope(bands);
        if (slope is not double s) return $"The band is closed at both ends at {bands.Count(b => b.Closed)} batch size(s); a trend of its width needs 3.";
        var interval = Analyses.WidthSlopeInterval(bands, replicates);
        var text = $"The band's width changes by {s:+0.00;-0.00} decades of learning rate per decade of batch size";
        if (interval is null) return text + " (no interval: it needs two or more seeds per cell), so no statement on whether it narrows.";
        var (lo, hi) = (interval.Low, interval.High);
        text += $" (95% {lo:0.00} to {hi:0.00})";
        return hi < 0 ? text + ": the band narrows as the batch grows, so a given error in the learning rate costs more at larger batch sizes."
            : lo > 0 ? text + ": the band widens as the batch grows, so the learning rate matters less at larger batch sizes."
            : text + ": the interval holds 0, so these data do not show the band narrowing or widening.";
    }

    /// <summary>Where each rule, started at the smallest batch size's best lr, first leaves the band.</summary>
    static string RulesSentence(OptimumBand.Band[] bands, OptimumBand.Band[][] replicates, int? rulesBase)
    {
        var b0 = rulesBase ?? bands[0].Batch;
        if (!bands.Any(b => b.Batch == b0)) return $"No rule starts at B = {b0}: this group has no band there (its batch sizes: {string.Join(", ", bands.Select(b => b.Batch))}).";
        var largest = bands[^1].Batch;
        var smallest = bands[0].Batch;
        var parts = Analyses.Rules.Select(rule =>
        {
            var br = Analyses.Breaking(bands, b0, rule);
            if (br is null) return null;
            string Side(bool up)
            {
                var at = Analyses.BreaksAt(br, up);
                var edge = up ? largest : smallest;
                if (edge == b0) return "";
                var iv = Analyses.BreakingInterval(replicates, b0, rule, up);
                var where = at is int a ? $"leaves it at B = {a}" : $"stays inside {(up ? "up" : "down")} to B = {edge} (the {(up ? "largest" : "smallest")} run, so it holds at least that far)";
                string At(int? b) => b is int v ? $"B = {v}" : "no break within the grid";
                var (lo, hi) = iv is null ? ("", "") : (At(Analyses.End(iv, high: false)), At(Analyses.End(iv, high: true)));
                var how = iv is null ? "" : $" (95% over the seeds: {(lo == hi ? lo : $"{lo} to {hi}")})";
                return (up ? "upward " : "downward ") + where + how;
            }
            return $"{rule.Name}: {string.Join(", ", new[] { Side(true), Side(false) }.Where(x => x.Length > 0))}";
        }).Where(p => p is not null);
        return $"Started at B = {b0} with its best learning rate, each rule's learning rate against the band: {string.Join("; ", parts)}. " +
            "(Adam's SDE rule and the beta2 half-life also change the betas, which a grid at fixed betas does not test: see the scaling arms.)";
    }

    /// <summary>Each rule from every base batch size: the batch size where its line first leaves
    /// the band upward and downward (OptimumBand.breaking), or that it holds to the grid's end.</summary>
    static void RulesTable(Page page, OptimumBand.Band[] bands)
    {
        if (bands.Length < 2) return;
        string Cell(OptimumBand.Band b0, OptimumBand.Rule rule)
        {
            if (Analyses.Breaking(bands, b0.Batch, rule) is not { } br) return "n/a";
            string Side(bool up)
            {
                var edge = up ? bands[^1].Batch : bands[0].Batch;
                if (edge == b0.Batch) return "";
                var at = Analyses.BreaksAt(br, up);
                return (up ? "↑ " : "↓ ") + (at is int a ? a.ToString(Inv) : $"holds to {edge}");
            }
            return string.Join(", ", new[] { Side(false), Side(true) }.Where(x => x.Length > 0));
        }
        page.Table(["rule \\ base B0", .. bands.Select(b => b.Batch.ToString(Inv))],
            Analyses.Rules.Select(r => (IReadOnlyList<string>)[r.Name, .. bands.Select(b => Cell(b, r))]),
            "each rule's learning rate, started at the base batch size's best, against the band: the first batch size where it leaves the band " +
            "downward (↓) and upward (↑), or that it holds to the grid's end; point estimates (the seeds' intervals for the smallest base are in the text)");
    }

    static string CollapseSentence(OptimumBand.Collapse c, ScalingFit.Fit fit)
    {
        var text = $"Smith and Le's noise scale g = lr N / (B (1 - m)): the best g spans {c.SpreadG:0.00} decades over the {fit.Best.Length} bracketed batch sizes, " +
            $"where the best lr spans {c.SpreadLr:0.00}";
        if (Analyses.Interval(c) is { } iv) text += $" (g's spread 95% {iv.Low:0.00} to {iv.High:0.00})";
        // g = lr N / (B (1 - m)) is the same at every batch size exactly when lr* is linear in B,
        // so the test is k's own interval (ScalingFit): does it hold 1?
        if (Analyses.Interval(fit) is not { } k) return text + "; k has no interval here, so no verdict on whether g collapses the grid.";
        return k.Low <= 1 && 1 <= k.High
            ? text + $": k's interval ({k.Low:0.00} to {k.High:0.00}) holds 1, so the data are consistent with one best g at every batch size, as Smith and Le predict."
            : c.SpreadG < c.SpreadLr
                ? text + $": g brings the optima closer than lr does, but k's interval ({k.Low:0.00} to {k.High:0.00}) excludes 1, so they do not share one best g."
                : text + $": g does not collapse the grid better than the learning rate itself (k's interval {k.Low:0.00} to {k.High:0.00} excludes 1).";
    }

    /// <summary>The momentum of an optimizer's canonical text ("sgd(momentum=0.9)"), 0 when not set.</summary>
    static double Momentum(string optimizer)
    {
        var at = optimizer.IndexOf("momentum=", StringComparison.Ordinal);
        if (at < 0) return 0;
        var text = new string(optimizer[(at + 9)..].TakeWhile(ch => ch != ',' && ch != ')').ToArray());
        return double.Parse(text, Inv);
    }
}
