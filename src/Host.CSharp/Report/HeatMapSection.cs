using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>The grid drawn: a full grid as a heat map on log axes (cell bounds from
/// HeatMap.bounds), a grid searched per batch size as the points that were run (log lr against log
/// batch size, coloured by the metric); each with the best learning rate of each batch size and,
/// where k is measured, the fitted lr ∝ B^k line. The caption names only what is drawn.</summary>
static class HeatMapSection
{
    public static void Write(Page page, Grid grid, ScalingFit.Fit? fit, bool full, Func<string, string> name)
    {
        var (batches, lrs, metric) = (grid.Batches, grid.Lrs, grid.Metric);
        var best = fit?.Rows.Select(r => (object)new { batch = r.Batch, lr = r.Bound.IsInterior ? r.Vertex : r.BestLr }).ToList() ?? [];
        var line = new List<object>();
        if (fit is not null && ScalingFit.measured(fit) && Analyses.PowerLaw(ScalingFit.bestPoints(fit).Select(p => (double)p.Batch).ToArray(), ScalingFit.bestPoints(fit).Select(p => p.Lr).ToArray()) is { } law)
            foreach (var b in new[] { batches[0], batches[^1] }) line.Add(new { batch = b, lr = law.At(b) });
        var drawn = new List<string>();
        if (best.Count > 0) drawn.Add("red: the best learning rate of each batch size (the vertex where the optimum is bracketed, else the best point run)");
        if (line.Count > 0) drawn.Add($"dashed: the fitted lr ∝ B^k, k = {fit!.K:0.00}");
        var title = $"test {metric}: {grid.Trials[0].Group}";
        if (full)
        {
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
            var middle = HeatMap.middle(grid.Cells.Keys.Select(grid.Mean).ToArray());
            page.Add(new Figure(name("heatmap"), Figures.HeatMap(title, metric, heat, best, line, middle, batches, lrs),
                $"Test {metric} (mean over seeds) of every cell run, on log axes" + (drawn.Count > 0 ? "; " + string.Join("; ", drawn) : "") + "."));
        }
        else
        {
            var points = grid.Cells.Select(kv => (object)new
            {
                lr = kv.Key.Lr, batch = kv.Key.BatchSize,
                value = double.IsFinite(grid.Mean(kv.Key)) ? grid.Mean(kv.Key) : (double?)null,
                kind = grid.Kind(kv.Key),
                label = $"B={kv.Key.BatchSize} lr={Page.Lr(kv.Key.Lr)}: {CellText(kv.Value, t => t.TestMetric)}",
            }).ToList();
            var kinds = grid.Cells.Keys.Select(grid.Kind).Distinct().ToList();
            var shapes = kinds.Count > 1 ? $"; shape: {string.Join(", ", kinds.Select(k => $"{(k == "learned" ? "circle" : k == "collapsed" ? "cross" : "square")} {k}"))}" : "";
            // the colours span the cells that learned: a collapsed or diverged one is drawn at the low end
            var learned = grid.Cells.Keys.Where(k => grid.Kind(k) == "learned").Select(grid.Mean).Where(double.IsFinite).ToArray();
            var colours = learned.Length > 1 ? new[] { learned.Min(), learned.Max() } : new[] { 0.0, 1.0 };
            page.Add(new Figure(name("searched"), Figures.SearchedGrid(title, metric, points, best, line, batches, colours),
                $"Every (batch size, learning rate) run by the search, coloured by its test {metric} (mean over seeds; gray: no seed finished){shapes}; " +
                "log axes" + (drawn.Count > 0 ? "; " + string.Join("; ", drawn) : "") + "."));
        }
    }
}
