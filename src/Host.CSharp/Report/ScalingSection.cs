using Lrbs.Core.Analysis;
using Microsoft.FSharp.Core;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>The scaling rule lr* ∝ B^k fitted to the grid (ScalingFit.fit): k, its interval and
/// verdict, and the best learning rate of each batch size.</summary>
static class ScalingSection
{
    /// <summary>The fit, or null without two batch sizes and two learning rates. Unfinished
    /// repeats score 0; accuracies carry their binomial error on the test rows.</summary>
    public static ScalingFit.Fit? Fit(Grid grid)
    {
        if (grid.Batches.Count < 2 || grid.Lrs.Count < 2) return null;
        var cells = grid.Cells.Select(kv => new ScalingFit.Cell(kv.Key.BatchSize, kv.Key.Lr, Values(kv.Value, true))).Where(c => c.Values.Length > 0).ToArray();
        var (metric, testRows) = (grid.Metric, grid.Trials[0].TestRows);
        return ScalingFit.fit(cells, FuncConvert.FromFunc<ScalingFit.Cell, double>(c =>
            metric is "accuracy" or "exact_match" ? Statistics.binomialError(Math.Clamp(Statistics.mean(c.Values), 0, 1), testRows) : 0.0), 1UL)?.Value;
    }

    public static void Write(Page page, ScalingFit.Fit? fit)
    {
        if (fit is null)
        {
            page.Paragraph("No scaling exponent: the grid needs at least two batch sizes and two learning rates with finished trials.");
            return;
        }
        var interval = fit.Interval?.Value is { } i ? $"95% interval {i.Low:0.00} to {i.High:0.00}, " : "";
        page.Paragraph((ScalingFit.measured(fit)
                ? $"Fitted scaling exponent: k = {fit.K:0.00} ({interval}{fit.Method}). {ScalingFit.verdict(fit)} "
                : $"{ScalingFit.verdict(fit)} ") +
            "The best learning rate of each batch size is the vertex of the parabola through the best cell and its neighbours in log lr.");
        page.Table(["batch size", "best lr"], fit.Best.Select(p => (IReadOnlyList<string>)[p.Item1.ToString(), p.Item2.ToString("G3", Inv)]));
    }
}
