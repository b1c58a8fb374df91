namespace Lrbs.Host.Report;

/// <summary>The report's figure: lr*(B) with its intervals, fitted forms and the near-optimal band (a Vega-Lite spec).</summary>
public static partial class Figures
{
    /// <summary>lr*(B) on log-log axes: each batch size's best learning rate with its interval
    /// (points: x, y, lo, hi), fitted curves (lines: x, y, series) and vertical marks (marks: x, label).</summary>
    public static object Optimum(string title, IEnumerable<object> points, IEnumerable<object> lines, IEnumerable<object> marks, IReadOnlyList<int> batches) => Layers(title, new object[]
        {
            new
            {
                data = new { values = lines },
                mark = new { type = "line", strokeDash = new[] { 5, 3 } },
                encoding = new
                {
                    x = new { field = "x", type = "quantitative", scale = BatchScale(batches), axis = new { values = batches }, title = "batch size" },
                    y = new { field = "y", type = "quantitative", scale = new { type = "log" }, title = "best learning rate" },
                    color = new { field = "series", type = "nominal", title = (string?)null },
                },
            },
            new
            {
                data = new { values = points },
                mark = new { type = "rule" },
                encoding = new { x = new { field = "x", type = "quantitative" }, y = new { field = "lo", type = "quantitative" }, y2 = new { field = "hi" } },
            },
            new
            {
                data = new { values = points },
                mark = new { type = "point", filled = true, color = "black" },
                encoding = new { x = new { field = "x", type = "quantitative" }, y = new { field = "y", type = "quantitative" }, tooltip = new { field = "label" } },
            },
            new
            {
                data = new { values = marks },
                mark = new { type = "rule", color = "gray", strokeDash = new[] { 2, 2 } },
                encoding = new { x = new { field = "x", type = "quantitative" } },
            },
            new
            {
                data = new { values = marks },
                mark = new { type = "text", align = "left", dx = 3, color = "gray" },
                encoding = new { x = new { field = "x", type = "quantitative" }, y = new { value = 8 }, text = new { field = "label" } },
            },
        });
}
