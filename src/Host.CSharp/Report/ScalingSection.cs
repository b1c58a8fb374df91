using Lrbs.Core.Analysis;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>The scaling rule lr* ∝ B^k fitted to the grid (ScalingFit.fit): each batch size's
/// best learning rate two ways (the best point searched, which `lrbs sweep plan` reports, and the
/// vertex of the parabola through it and its neighbours), which optima are only bounds, k with
/// what its interval covers, and a verdict only where its premises hold.</summary>
static class ScalingSection
{
    /// <summary>The fit, or null without two batch sizes and two learning rates. Every seed is
    /// kept apart (the interval resamples seeds jointly); a diverged, failed or collapsed seed
    /// scores 0; an accuracy's standard error on its test rows serves a grid of one seed.</summary>
    public static ScalingFit.Fit? Fit(Grid grid) =>
        grid.Batches.Count < 2 || grid.Lrs.Count < 2 ? null : Analyses.ScalingFit(Cells(grid), 1UL);

    /// <summary>The grid's cells as the core's analyses read them: each seed's final test metric
    /// (0 for a diverged, failed or collapsed seed) and, for an accuracy, its standard error on the
    /// test rows.</summary>
    public static ScalingFit.Cell[] Cells(Grid grid)
    {
        var proportion = grid.Metric is "accuracy" or "exact_match";
        return grid.Cells.Select(kv =>
        {
            var seeds = kv.Value.OrderBy(t => t.Seed).ToList();
            var values = seeds.Select(t => t.Learned ? t.TestMetric ?? 0 : 0).ToArray();
            var noise = proportion ? Statistics.proportionError(Statistics.mean(values), seeds[0].TestRows) : double.NaN;
            return new ScalingFit.Cell(kv.Key.BatchSize, kv.Key.Lr, values, seeds.Select(t => t.Seed).ToArray(), noise);
        }).ToArray();
    }

    public static void Write(Page page, ReportData data, Grid grid, ScalingFit.Fit? fit)
    {
        if (fit is null)
        {
            page.Paragraph("No scaling exponent: the grid needs at least two batch sizes and two learning rates with finished trials.");
            return;
        }
        page.Heading(3, "the best learning rate of each batch size");
        static string Optimum(ScalingFit.Row r) =>
            r.Bound.IsInterior ? "bracketed" : r.Bound.IsAtLeast ? $"≥ {Page.Lr(r.BestLr)} (the largest lr run)" : $"≤ {Page.Lr(r.BestLr)} (the smallest lr run)";
        // the vertex always lies within half a step of the best point; past a quarter it is pulled notably
        static bool Apart(ScalingFit.Row r) => r.Bound.IsInterior && Math.Abs(Math.Log(r.Vertex / r.BestLr)) > Math.Log(r.HalfStep) / 2;
        page.Table(["batch size", "best lr searched", $"its mean test {grid.Metric}", "vertex of the parabola", "optimum"],
            fit.Rows.Select(r => (IReadOnlyList<string>)[r.Batch.ToString(), Page.Lr(r.BestLr), Page.F(r.BestMean),
                r.Bound.IsInterior ? Page.Lr(r.Vertex) + (Apart(r) ? " (apart)" : "") : "–", Optimum(r)]),
            "best lr searched: the learning rate with the highest mean test metric (the answer `lrbs sweep plan` gives); vertex: the peak of the parabola " +
            "through it and its two neighbours in log lr, an estimate between the points run (always within half a step of it); (apart): more than a quarter of a step from it");
        var apart = fit.Rows.Where(Apart).Select(r => r.Batch.ToString()).ToList();
        var interval = Analyses.Interval(fit) is { } i ? $"95% interval {i.Low:0.00} to {i.High:0.00}; {fit.Method}" : fit.Method;
        var fitted = ScalingFit.measured(fit)
            ? $"Fitted scaling exponent: k = {fit.K:0.00} ({interval}), the slope of log lr* on log B through the vertices of the {fit.Best.Length} batch size(s) whose optimum the grid brackets. "
            : "";
        page.Paragraph(fitted + ScalingFit.verdict(fit) +
            (apart.Count > 0 ? $" At batch size {string.Join(", ", apart)} the vertex lies more than a quarter of a grid step from the best point searched: " +
                "the parabola leans towards a steep side (often a divergence cliff); k uses the vertex, and its interval refits it in every resample." : ""));
    }
}
