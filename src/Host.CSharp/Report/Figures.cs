using Lrbs.Host.Storage.Rows;
using System.Diagnostics;
using System.Text.Json;

namespace Lrbs.Host.Report;

/// <summary>A figure of the report: a Vega-Lite spec, its file name and caption.</summary>
public sealed record Figure(string Name, object Spec, string Caption);

/// <summary>Vega-Lite specs for the report's figures (data inline), and their rendering to SVG
/// by the pinned npm vega and vega-lite in node (render-figures.mjs).</summary>
public static class Figures
{
    const int Width = 420, Height = 260;

    static object Axis(string title, bool log) => new { title, scale = log ? new { type = "log" } : null };

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
            new
            {
                data = new { values = fit },
                mark = new { type = "line", color = "#ff7f0e", strokeDash = new[] { 6, 3 } },
                encoding = new { x = new { field = "lr", type = "quantitative" }, y = new { field = "batch", type = "quantitative" } },
            },
            new
            {
                data = new { values = best },
                mark = new { type = "line", color = "red", point = new { color = "red" } },
                encoding = new { x = new { field = "lr", type = "quantitative" }, y = new { field = "batch", type = "quantitative" }, order = new { field = "batch" } },
            },
        },
        };

    /// <summary>A log-2 batch-size scale that shows the first and last batch sizes run whole (a
    /// margin of 1.5x each way), with ticks at the batch sizes run.</summary>
    static object BatchScale(IReadOnlyList<int> batches) => new { type = "log", @base = 2, nice = false, domain = new[] { batches[0] / 1.5, batches[^1] * 1.5 } };

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
            new
            {
                data = new { values = fit },
                mark = new { type = "line", color = "#ff7f0e", strokeDash = new[] { 6, 3 } },
                encoding = new { x = new { field = "lr", type = "quantitative" }, y = new { field = "batch", type = "quantitative" } },
            },
            new
            {
                data = new { values = best },
                mark = new { type = "line", color = "red", point = new { color = "red", shape = "diamond" } },
                encoding = new { x = new { field = "lr", type = "quantitative" }, y = new { field = "batch", type = "quantitative" }, order = new { field = "batch" } },
            },
        });

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

    /// <summary>A layered Vega-Lite spec of the report's size, its legend labels not cut short.</summary>
    static Dictionary<string, object> Layers(string title, object[] layers) => new()
    {
        ["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json",
        ["title"] = title,
        ["width"] = Width, ["height"] = Height,
        ["config"] = new { legend = new { labelLimit = 320 } },
        ["layer"] = layers,
    };

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

    /// <summary>Bars (optionally stacked by a colour field).</summary>
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
                mark = new { type = "text", align = "right", dx = -3, color = "gray" },
                encoding = new { x = new { field = "x", type = "quantitative" }, y = new { value = 8 }, text = new { field = "label" } },
            },
        });

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

    /// <summary>Renders every figure to OUT/NAME.svg with node; returns the SVG text by name.</summary>
    public static IReadOnlyDictionary<string, string> Render(IReadOnlyList<Figure> figures, string outDir)
    {
        Directory.CreateDirectory(outDir);
        if (figures.Count == 0) return new Dictionary<string, string>();
        var specs = Path.Combine(outDir, ".specs.json");
        File.WriteAllText(specs, JsonSerializer.Serialize(figures.Select(f => new { name = f.Name, spec = f.Spec }),
            new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
        var script = Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot(), "src", "Host.CSharp", "Report", "render-figures.mjs");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("LRBS_NODE") ?? "node") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(specs);
        psi.ArgumentList.Add(outDir);
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"rendering the figures failed: {err.Result.Trim()}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"rendering the figures needs node ({e.Message}): apt-get install nodejs, then ./scripts/setup.sh");
        }
        finally { File.Delete(specs); }
        return figures.ToDictionary(f => f.Name, f => File.ReadAllText(Path.Combine(outDir, f.Name + ".svg")));
    }
}
