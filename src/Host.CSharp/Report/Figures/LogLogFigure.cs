namespace Lrbs.Host.Report;

/// <summary>The report's figure: points with fitted lines on log-log axes (a Vega-Lite spec).</summary>
public static partial class Figures
{
    /// <summary>Points on log-log axes with fitted lines (series "fit ...") and reference lines.</summary>
    public static object LogLog(string title, IEnumerable<object> points, IEnumerable<object> lines, string xTitle, string yTitle, IReadOnlyList<int>? batches = null) => Layers(title, new object[]
        {
            new
            {
                data = new { values = points },
                mark = new { type = "point", filled = true, opacity = 0.6 },
                encoding = new
                {
                    x = batches is null
                        ? (object)new { field = "x", type = "quantitative", scale = new { type = "log", @base = 2 }, title = xTitle }
                        : new { field = "x", type = "quantitative", scale = BatchScale(batches), axis = new { values = batches }, title = xTitle },
                    y = new { field = "y", type = "quantitative", scale = new { type = "log" }, title = yTitle },
                    color = new { field = "series", type = "nominal", title = (string?)null },
                },
            },
            new
            {
                data = new { values = lines },
                mark = new { type = "line", strokeDash = new[] { 5, 3 } },
                encoding = new
                {
                    x = new { field = "x", type = "quantitative" },
                    y = new { field = "y", type = "quantitative" },
                    color = new { field = "series", type = "nominal" },
                    detail = new { field = "series" },
                },
            },
        });
}
