using System.Text.Encodings.Web;

namespace Lrbs.Host.Presentation;

/// <summary>One trial as one JSON object, from the same records its Parquet parts hold:
/// {"trial": the trial row (every config key and outcome column), "epochs": the epoch rows,
/// "test_outputs": [...] with predictions}. Numbers are written round-trip exact; NaN and
/// infinities are null, as in the parts.</summary>
public static class TrialJson
{
    static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(TrialResult r, string codeVersion, TextWriter output)
    {
        var recorded = Recorded.Trial(r);
        var row = TrialRow.Of("", r, recorded, codeVersion, DateTime.UtcNow);
        var epochs = recorded.Epochs.Select(e => EpochRow.Of(row.Id, e)).ToList();
        var outputs = recorded.TestOutputs?.Select(v => float.IsFinite(v) ? (float?)v : null).ToArray();
        output.WriteLine(outputs is null
            ? JsonSerializer.Serialize(new { trial = row, epochs }, Options)
            : JsonSerializer.Serialize(new { trial = row, epochs, test_outputs = outputs }, Options));
    }
}
