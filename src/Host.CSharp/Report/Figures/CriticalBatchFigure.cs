namespace Lrbs.Host.Report;

/// <summary>The report's figure: the critical batch size beside the best learning rate (a Vega-Lite spec).</summary>
public static partial class Figures
{
    /// <summary>The critical batch size beside the best learning rate: two log-log panels sharing
    /// the batch axis, with vertical rules at the estimates and a shaded interval.</summary>
    public static object CriticalBatch(string title, IEnumerable<object> bestLr, IEnumerable<object> steps, IEnumerable<object> fit, IEnumerable<object> marks, object? interval)
    {
        object Rules() => new
        {
            data = new { values = marks },
            mark = new { type = "rule", strokeDash = new[] { 4, 2 }, strokeWidth = 2 },
            encoding = new { x = new { field = "x", type = "quantitative" }, color = new { field = "label", type = "nominal", title = (string?)null, scale = new { range = new[] { "#d62728", "#2ca02c" } } } },
        };
        object[] Band() => interval is null ? [] :
        [
            new { data = new { values = new[] { interval } }, mark = new { type = "rect", opacity = 0.15, color = "#d62728" },
                  encoding = new { x = new { field = "lo", type = "quantitative" }, x2 = new { field = "hi" } } },
        ];
        object X(string t) => new { field = "x", type = "quantitative", scale = new { type = "log", @base = 2 }, title = t };
        return new Dictionary<string, object>
        {
            ["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json",
            ["title"] = title,
            ["config"] = new { legend = new { labelLimit = 320 } },
            ["hconcat"] = new object[]
            {
                new
                {
                    width = 300, height = 220,
                    layer = Band().Concat(new object[]
                    {
                        new { data = new { values = bestLr }, mark = new { type = "line", point = true, color = "black" },
                              encoding = new { x = X("batch size"), y = new { field = "y", type = "quantitative", scale = new { type = "log" }, title = "best learning rate" } } },
                        Rules(),
                    }).ToArray(),
                },
                new
                {
                    width = 300, height = 220,
                    layer = Band().Concat(new object[]
                    {
                        new { data = new { values = fit }, mark = new { type = "line", strokeDash = new[] { 6, 3 }, color = "gray" },
                              encoding = new { x = X("batch size"), y = new { field = "y", type = "quantitative", scale = new { type = "log" }, title = "steps to target" } } },
                        new { data = new { values = steps }, mark = new { type = "point", filled = true, color = "black" },
                              encoding = new { x = X("batch size"), y = new { field = "y", type = "quantitative", scale = new { type = "log" }, title = "steps to target" } } },
                        Rules(),
                    }).ToArray(),
                },
            },
        };
    }
}
