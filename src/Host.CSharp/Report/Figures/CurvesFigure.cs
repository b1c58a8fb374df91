namespace Lrbs.Host.Report;

/// <summary>The report's figure: learning curves with bands, one panel per measure (a Vega-Lite spec).</summary>
public static partial class Figures
{
    /// <summary>Lines with a band (mean +- std over repeats) per series, one panel per measure.</summary>
    public static object Curves(string title, IEnumerable<object> points, IReadOnlyList<(string Field, string Title)> panels, string x = "epoch", bool logX = false, bool logY = false, string? xTitle = null) => new Dictionary<string, object>
    {
        ["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json",
        ["title"] = title,
        ["data"] = new { values = points },
        ["config"] = new { legend = new { labelLimit = 320 } },
        ["hconcat"] = panels.Select(p => (object)new
        {
            width = 260, height = 200,
            transform = new object[] { new { filter = $"datum.measure == '{p.Field}'" } },
            layer = new object[]
            {
                new
                {
                    mark = new { type = "area", opacity = 0.2 },
                    encoding = new
                    {
                        x = new { field = x, type = "quantitative", scale = logX ? new { type = "log" } : null, title = xTitle ?? x },
                        y = new { field = "lo", type = "quantitative", title = p.Title, scale = new { zero = false, type = logY ? "log" : "linear" } },
                        y2 = new { field = "hi" },
                        color = new { field = "series", type = "nominal", title = (string?)null },
                    },
                },
                new
                {
                    mark = new { type = "line", point = new { size = 12 } },
                    encoding = new
                    {
                        x = new { field = x, type = "quantitative", scale = logX ? new { type = "log" } : null, title = xTitle ?? x },
                        y = new { field = "mean", type = "quantitative", title = p.Title, scale = new { zero = false, type = logY ? "log" : "linear" } },
                        color = new { field = "series", type = "nominal", title = "series" },
                    },
                },
            },
        }).ToArray(),
    };
}
