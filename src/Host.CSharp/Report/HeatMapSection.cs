using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>The grid's test metric as a heat map on log axes (cell bounds from HeatMap.bounds),
/// with each batch size's best learning rate and the fitted lr ∝ B^k line.</summary>
static class HeatMapSection
{
    public static void Write(Page page, Grid grid, ScalingFit.Fit? fit, Func<string, string> name)
    {
        var (batches, lrs, metric) = (grid.Batches, grid.Lrs, grid.Metric);
        var lrBounds = HeatMap.bounds(lrs.ToArray());
        var batchBounds = HeatMap.bounds(batches.Select(x => (double)x).ToArray());
        var heat = grid.Cells.Select(kv =>
        {
            var (b, lr) = kv.Key;
            var ((lrLo, lrHi), (bLo, bHi)) = (lrBounds[lrs.IndexOf(lr)].ToValueTuple(), batchBounds[batches.IndexOf(b)].ToValueTuple());
            var mean = grid.Mean(kv.Key);
            return (object)new
            {
                lr, batch = b, lr_lo = lrLo, lr_hi = lrHi, b_lo = bLo, b_hi = bHi,
                value = double.IsFinite(mean) ? mean : (double?)null,
                text = double.IsFinite(mean) ? mean.ToString("0.00", Inv) : "div",
                label = $"B={b} lr={Page.Lr(lr)}: {CellText(kv.Value, t => t.TestMetric)}",
            };
        }).ToList();
        var best = fit?.Best.Select(p => (object)new { batch = p.Item1, lr = p.Item2 }).ToList() ?? [];
        var line = new List<object>();
        if (fit is not null && PowerLaw.fit(fit.Best.Select(p => (double)p.Item1).ToArray(), fit.Best.Select(p => p.Item2).ToArray())?.Value is { } law)
            foreach (var b in new[] { batches[0], batches[^1] }) line.Add(new { batch = b, lr = law.At(b) });
        var middle = HeatMap.middle(grid.Cells.Keys.Select(grid.Mean).ToArray());
        page.Add(new Figure(name("heatmap"), Figures.HeatMap($"test {metric}: {grid.Trials[0].Group}", metric, heat, best, line, middle),
            $"Test {metric} over the grid on log axes; red: the best learning rate of each batch size (parabola vertex in log lr); " +
            "dashed: the fitted lr ∝ B^k."));
    }
}
