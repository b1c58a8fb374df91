using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lrbs.Host.Sweeps;

/// <summary>Positions in YAML files as every message gives them: FILE:LINE:COLUMN, 1-based.</summary>
public static class YamlErrors
{
    /// <summary>FILE:LINE:COLUMN of a node.</summary>
    public static string At(string file, YamlNode n) => $"{file}:{n.Start.Line}:{n.Start.Column}";

    /// <summary>A YAML syntax error at the place the parser stopped (its end mark: a tab that breaks
    /// the indentation is reported on its own line, not at the value before it).</summary>
    public static string Malformed(string file, YamlException e)
    {
        var at = e.End.Line > 0 ? e.End : e.Start;
        var why = (e.InnerException?.Message ?? e.Message).Trim();
        var tab = why.Contains("tab", StringComparison.OrdinalIgnoreCase) ? " (YAML indents with spaces; replace the tab)" : "";
        return $"{file}:{at.Line}:{at.Column}: malformed YAML: {why}{tab}";
    }
}
