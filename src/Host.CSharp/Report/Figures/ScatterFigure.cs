namespace Lrbs.Host.Report;

/// <summary>The report's figure: a scatter, one panel per x field (a Vega-Lite spec).</summary>
public static partial class Figures
{
    /// <summary>A scatter of points, one panel per x field.</summary>
    public static object Scatter(string title, IEnumerable<object> values, IReadOnlyList<(string Field, string Title)> xs, string y, string yTitle) => new Dictionary<string, object>
    {
        ["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json",
        ["title"] = title,
        ["data"] = new { values },
        ["hconcat"] = xs.Select(p => (object)new
        {
            width = 300, height = 220,
            mark = new { type = "point", opacity = 0.35, size = 12 },
            encoding = new
            {
                x = new { field = p.Field, type = "quantitative", title = p.Title },
                y = new { field = y, type = "quantitative", title = yTitle },
                color = new { field = "level", type = "nominal", sort = new[] { "negligible", "low", "medium", "big" }, scale = new { domain = new[] { "negligible", "low", "medium", "big" } } },
            },
        }).ToArray(),
    };
}
