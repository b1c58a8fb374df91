using System.Diagnostics;

namespace Lrbs.Host.Report;

/// <summary>A figure of the report: a Vega-Lite spec, its file name and caption.</summary>
public sealed record Figure(string Name, object Spec, string Caption);

/// <summary>Vega-Lite specs for the report's figures (data inline), and their rendering to SVG
/// by the pinned npm vega and vega-lite in node (render-figures.mjs). This file holds what the
/// figures share (sizes, axes, the batch-size scale, layering) and the rendering; each figure is
/// one file in Report/Figures/.</summary>
public static partial class Figures
{
    const int Width = 420, Height = 260;

    static object Axis(string title, bool log) => new { title, scale = log ? new { type = "log" } : null };

    /// <summary>A log-2 batch-size scale that shows the first and last batch sizes run whole (a
    /// margin of 1.5x each way), with ticks at the batch sizes run.</summary>
    static object BatchScale(IReadOnlyList<int> batches) => new { type = "log", @base = 2, nice = false, domain = new[] { batches[0] / 1.5, batches[^1] * 1.5 } };

    /// <summary>A layered Vega-Lite spec of the report's size, its legend labels not cut short.</summary>
    static Dictionary<string, object> Layers(string title, object[] layers) => new()
    {
        ["$schema"] = "https://vega.github.io/schema/vega-lite/v6.json",
        ["title"] = title,
        ["width"] = Width, ["height"] = Height,
        ["config"] = new { legend = new { labelLimit = 320 } },
        ["layer"] = layers,
    };


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
