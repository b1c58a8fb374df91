namespace Lrbs.Host.Storage;

/// <summary>The version of a results folder's parts: every row of every part names it, so a part
/// from an older lrbs (or another tool) is recognised instead of misread. The tables' columns are
/// their row records (Storage/Rows: TrialRow, EpochRow, the prediction rows, ManifestRow).</summary>
public static class ResultsSchema
{
    public const string Version = "lrbs-results/2";

    /// <summary>The error level of S7's follow-up: negligible &lt;= 0.1 &lt; low &lt;= 0.2 &lt; medium &lt;= 0.3 &lt; big.</summary>
    public static string ErrorLevel(double error) => error <= 0.1 ? "negligible" : error <= 0.2 ? "low" : error <= 0.3 ? "medium" : "big";
}
