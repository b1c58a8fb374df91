namespace Lrbs.Host.Report;

/// <summary>The report's figure: each trial's test metric against Smith and Le's noise scale g
/// (a Vega-Lite spec).</summary>
public static partial class Figures
{
    /// <summary>Points (g, metric, batch) on a log g axis, one colour per batch size in the
    /// order of the grid: where g collapses the grid, the colours' peaks line up. The metric axis
    /// spans [low, high] and points outside it are clipped, so that the learned trials' peaks are
    /// not flattened by collapsed ones.</summary>
    public static object NoiseScale(string title, IEnumerable<object> points, IReadOnlyList<int> batches, string metric, double low, double high) => Layers(title, new object[]
        {
            new
            {
                data = new { values = points },
                mark = new { type = "point", filled = true, opacity = 0.7, clip = true },
                encoding = new
                {
                    x = new { field = "g", type = "quantitative", scale = new { type = "log" }, title = "noise scale g = lr N / (B (1 - m))" },
                    y = new { field = "metric", type = "quantitative", title = metric, scale = new { domain = new[] { low, high } } },
                    color = new { field = "batch", type = "ordinal", sort = batches.ToArray(), title = "batch size", scale = new { scheme = "viridis" } },
                    tooltip = new object[] { new { field = "batch", type = "ordinal" }, new { field = "lr", type = "quantitative" }, new { field = "g", type = "quantitative" }, new { field = "metric", type = "quantitative" } },
                },
            },
        });
}
