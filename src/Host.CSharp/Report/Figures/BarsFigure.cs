namespace Lrbs.Host.Report;

/// <summary>The report's figure: bars, optionally stacked (a Vega-Lite spec).</summary>
public static partial class Figures
{
    /// <summary>Bars (optionally stacked by a colour field).</summary>
    public static object Bars(string title, IEnumerable<object> values, string x, string xTitle, string y, string yTitle, string? color = null, string[]? colorOrder = null, string[]? xOrder = null)
    {
        var encoding = new Dictionary<string, object>
        {
            ["x"] = new { field = x, type = "ordinal", title = xTitle, sort = xOrder },
            ["y"] = new { field = y, type = "quantitative", title = yTitle },
        };
        if (color is not null) encoding["color"] = new { field = color, type = "nominal", sort = colorOrder, scale = colorOrder is null ? null : new { domain = colorOrder } };
        return new Dictionary<string, object>
        {
            ["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json",
            ["title"] = title, ["width"] = Width, ["height"] = Height,
            ["data"] = new { values }, ["mark"] = "bar", ["encoding"] = encoding,
        };
    }
}
