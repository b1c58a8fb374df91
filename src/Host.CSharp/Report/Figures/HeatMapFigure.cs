namespace Lrbs.Host.Report;

/// <summary>The report's figure: the grid as a heat map, and a grid searched per batch size (a Vega-Lite spec).</summary>
public static partial class Figures
{
    /// <summary>The grid as a heat map on log axes (cells span geometric midpoints), the best
    /// learning rate of each batch size traced on it, and the fitted lr ~ B^k line.</summary>
    public static object HeatMap(string title, string metric, IEnumerable<object> cells, IEnumerable<object> best, IEnumerable<object> fit, double middle,
        IReadOnlyList<int> batches, IReadOnlyList<double> lrs) => new Dictionary<string, object>
        {
            ["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json",
            ["title"] = title,
            ["width"] = Width, ["height"] = Height,
            ["layer"] = new object[]
        {
            new
            {
                data = new { values = cells },
                mark = new { type = "rect", stroke = "white" },
                encoding = new
                {
                    x = new { field = "lr_lo", type = "quantitative", scale = new { type = "log", nice = false }, title = "learning rate (log)", axis = new { values = lrs, format = "~g" } },
                    x2 = new { field = "lr_hi" },
                    y = new { field = "b_lo", type = "quantitative", scale = new { type = "log", @base = 2, nice = false }, title = "batch size (log)", axis = new { values = batches } },
                    y2 = new { field = "b_hi" },
                    color = new { field = "value", type = "quantitative", title = metric, scale = new { scheme = "viridis" } },
                    tooltip = new object[] { new { field = "label", type = "nominal" } },
                },
            },
            new
            {
                data = new { values = cells },
                mark = new { type = "text", fontSize = 9 },
                encoding = new
                {
                    x = new { field = "lr", type = "quantitative", scale = new { type = "log" } },
                    y = new { field = "batch", type = "quantitative", scale = new { type = "log", @base = 2 } },
                    text = new { field = "text", type = "nominal" },
                    // dark text on the light (high) end of viridis, light text on the dark end
                    color = new { condition = new { test = $"datum.value > {middle.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}", value = "black" }, value = "white" },
                },
            },
            FitLine(fit),
            BestLine(best, new { color = "red" }),
        },
        };


    /// <summary>A grid searched per batch size: every (learning rate, batch size) run as a point
    /// coloured by the metric (hollow where no seed finished), the best learning rate of each
    /// batch size and the fitted line, on log axes with ticks at the batch sizes run.</summary>
    public static object SearchedGrid(string title, string metric, IEnumerable<object> points, IEnumerable<object> best, IEnumerable<object> fit, IReadOnlyList<int> batches,
        double[] colours) =>
        Layers(title, new object[]
        {
            new
            {
                data = new { values = points },
                mark = new { type = "point", filled = true, size = 90, stroke = "#555", strokeWidth = 0.5, invalid = (string?)null },
                encoding = new
                {
                    x = new { field = "lr", type = "quantitative", scale = new { type = "log" }, title = "learning rate (log)" },
                    y = new { field = "batch", type = "quantitative", scale = BatchScale(batches), axis = new { values = batches }, title = "batch size (log)" },
                    color = new { field = "value", type = "quantitative", title = metric, scale = new { scheme = "viridis", domain = colours, clamp = true } },
                    shape = new { field = "kind", type = "nominal", title = (string?)null,
                                  scale = new { domain = new[] { "learned", "collapsed", "diverged or failed" }, range = new[] { "circle", "cross", "square" } } },
                    tooltip = new object[] { new { field = "label", type = "nominal" } },
                },
            },
            FitLine(fit),
            BestLine(best, new { color = "red", shape = "diamond" }),
        });

    /// <summary>The fitted lr*(B) as a dashed line over a grid's (lr, batch) axes.</summary>
    static object FitLine(IEnumerable<object> fit) => new
    {
        data = new { values = fit },
        mark = new { type = "line", color = "#ff7f0e", strokeDash = new[] { 6, 3 } },
        encoding = new { x = new { field = "lr", type = "quantitative" }, y = new { field = "batch", type = "quantitative" } },
    };

    /// <summary>Each batch size's best learning rate joined in batch order, its points drawn as `point`.</summary>
    static object BestLine(IEnumerable<object> best, object point) => new
    {
        data = new { values = best },
        mark = new { type = "line", color = "red", point },
        encoding = new { x = new { field = "lr", type = "quantitative" }, y = new { field = "batch", type = "quantitative" }, order = new { field = "batch" } },
    };
}
