using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>The amount of data as an axis (DataScaling): the same model and optimizer at two or
/// more pool sizes D. Per pool, the bracketed best learning rates, k and B_crit (at one target
/// every pool can reach); across pools, lr*(B, D) = c B^k D^d and B_crit(D) = c D^e with
/// intervals, and whether B_crit grows with D as Zhang et al. (ICLR 2025) found.</summary>
static class DataScalingSection
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Whether these trials (one dataset, model, optimizer, scaling and schedule) ran at
    /// two or more pool sizes.</summary>
    public static bool HasPools(IEnumerable<TrialRow> family) => family.Select(t => t.Pool).Where(p => p is not null).Distinct().Count() >= 2;

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> family)
    {
        var byPool = family.Where(t => t.Pool is not null).GroupBy(t => t.TrainRows).OrderBy(g => g.Key).ToList();
        page.Heading(2, $"the amount of data: {family[0].Dataset} / {family[0].Model} / {family[0].Optimizer}");
        // one target for every pool: the lowest of the pools' own default targets, so that each can reach it
        var goals = byPool.Select(g => Analyses.Goal(null, ChanceThreshold(g), StepsSection.Runs(data, g.Where(t => t.Learned))))
            .Where(g => double.IsFinite(g.Target) && !g.AtChance).Select(g => g.Target).ToList();
        double? target = goals.Count == byPool.Count ? goals.Min() : null;
        var pools = byPool.Select(g => Pool(data, g.Key, g.ToList(), target)).ToArray();
        page.Table(["training rows D", "bracketed batch sizes", "k (lr* ∝ B^k)", "B_crit" + (target is double t ? $" (to test {family[0].Metric} {t:0.0000})" : "")],
            pools.Select(p => (IReadOnlyList<string>)[p.Pool.Rows.ToString(Inv), p.Pool.Best.Length.ToString(Inv),
                p.Fit is { } f && ScalingFit.measured(f) ? f.K.ToString("0.00", Inv) : "n/a", BCritText(p.Pool, byPool.First(g => g.Key == p.Pool.Rows))]),
            "each pool on its own: the vertices of the batch sizes whose optimum the grid brackets, their k, and B_crit = E_min/S_min of the steps to one target " +
            (target is null ? "(none here: some pool has no target above chance)" : "that every pool reaches") +
            "; < or >: the fit puts B_crit outside the batch sizes run, so the grid only bounds it, and B_crit(D) leaves that pool out");
        var sentences = new List<string>();
        if (Analyses.LrSurface(pools.Select(p => p.Pool).ToArray()) is { } surface)
        {
            var (k, d) = (surface.K, surface.D);
            sentences.Add($"Over all {k.Points} bracketed (B, D) points, lr* ∝ B^{k.Value:0.00} D^{d.Value:0.00}{Ci(d, "d")}. " +
                (Analyses.Interval(d) is not { } di ? "Without an interval, no statement on how the best learning rate moves with the data."
                    : di.High < 0 ? "The best learning rate falls as the data grow, as Bjorck et al. (ICLR 2025) found for the training horizon of language models."
                    : di.Low > 0 ? "The best learning rate rises with the data, unlike what Bjorck et al. found for the training horizon of language models."
                    : "The interval of d holds 0: these data do not show the best learning rate moving with the amount of data."));
        }
        else sentences.Add("No fit of lr*(B, D): it needs bracketed optima at two or more pools and three or more points.");
        if (Analyses.CriticalBatchOverData(pools.Select(p => p.Pool).ToArray()) is { } e)
            sentences.Add($"B_crit ∝ D^{e.Value:0.00} over {e.Points} pools{Ci(e, "e")}: " +
                (Analyses.Interval(e) is not { } ei ? "without an interval, no statement on whether it grows with the data."
                    : ei.Low > 0 ? "it grows with the amount of data, as Zhang et al. (ICLR 2025) found."
                    : ei.High < 0 ? "it falls with the amount of data, against Zhang et al.'s finding."
                    : "the interval holds 0, so these data do not show it growing with the amount of data."));
        else sentences.Add("No fit of B_crit(D): it needs B_crit at two or more pools.");
        page.Paragraph(string.Join(" ", sentences));
    }

    /// <summary>A pool's B_crit: located, a bound beyond the grid's batch sizes, or not measured.</summary>
    static string BCritText(DataScaling.Pool pool, IEnumerable<TrialRow> trials)
    {
        if (Analyses.BCrit(pool) is double b) return b.ToString("0", Inv);
        if (Analyses.BCritOutside(pool) is not double o) return "not measured";
        var batches = trials.Select(t => t.BatchSize).ToList();
        return o < batches.Min() ? $"< {batches.Min()} (fit: {o.ToString("G2", Inv)})" : $"> {batches.Max()} (fit: {o.ToString("0", Inv)})";
    }

    static string Ci(DataScaling.Exponent e, string name) =>
        Analyses.Interval(e) is { } i ? $" ({name}: 95% {i.Low:0.00} to {i.High:0.00})" : $" (no interval on {name})";

    /// <summary>One pool's fit and B_crit, with their bootstrap replicates.</summary>
    static (DataScaling.Pool Pool, ScalingFit.Fit? Fit) Pool(ReportData data, int rows, IReadOnlyList<TrialRow> trials, double? target)
    {
        var fit = ScalingSection.Fit(new Grid(trials));
        var runs = StepsSection.Runs(data, trials.Where(t => t.Learned));
        return (Analyses.DataPool(rows, fit?.Best ?? [], fit?.Replicates ?? [], target, runs), fit);
    }
}
