using System.Text.Encodings.Web;
using System.Text.Json;
using Lrbs.Core.Data;
using Lrbs.Core.Training;

namespace Lrbs.Host.Presentation;

/// <summary>One trial as one JSON object: configuration, status, per-epoch curves, final metrics.
/// Numbers are written round-trip exact; NaN and infinities become null.</summary>
public static class TrialJson
{
    public static void Write(TrialResult r, TextWriter output)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            var c = r.Config;
            w.WriteStartObject();
            w.WriteStartObject("config");
            w.WriteString("dataset", c.Dataset);
            w.WriteString("model", c.Model);
            w.WriteString("trial_id", TrialConfigModule.id(c));
            w.WriteString("optimizer", c.Optimizer);
            w.WriteString("cross_entropy", Lrbs.Core.Losses.LossFormModule.name(c.LossForm));
            Number(w, "lr", c.Lr);
            w.WriteNumber("batch_size", c.BatchSize);
            w.WriteNumber("max_epochs", c.Stopping.MaxEpochs);
            w.WriteString("split", SplitModule.describe(c.Split));
            w.WriteNumber("seed", c.Seed);
            if (c.TrainLimit is not null) w.WriteNumber("train_limit", c.TrainLimit.Value);
            w.WriteEndObject();
            w.WriteString("status", r.Status.Name);
            if (r.Status is TrialStatus.Failed f) w.WriteString("error", f.message);
            w.WriteString("stop_reason", r.StopReason?.Value.ToString());
            w.WriteString("metric", r.MetricName);
            Series(w, "train_loss", r.Epochs.Select(e => e.TrainLoss));
            Series(w, $"test_{r.MetricName}", r.Epochs.Select(e => e.TestMetric));
            w.WriteStartArray("epochs");
            foreach (var e in r.Epochs)
            {
                w.WriteStartObject();
                w.WriteNumber("epoch", e.Epoch);
                Number(w, "train_loss", e.TrainLoss);
                Number(w, $"train_{r.MetricName}", e.TrainMetric);
                Number(w, "val_loss", e.ValLoss?.Value);
                Number(w, "test_loss", e.TestLoss);
                Number(w, $"test_{r.MetricName}", e.TestMetric);
                Number(w, "lr", e.Lr);
                w.WriteNumber("batch_size", e.BatchSize);
                w.WriteNumber("steps", e.Steps);
                Number(w, "seconds", e.Seconds);
                Number(w, "train_seconds", e.TrainSeconds);
                Number(w, "gns_b_simple", e.NoiseBSimple?.Value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartObject("final");
            Number(w, $"test_{r.MetricName}", r.FinalTestMetric);
            Number(w, "test_loss", r.FinalTestLoss);
            w.WriteNumber("epochs", r.Epochs.Length);
            w.WriteNumber("steps", r.Steps);
            Number(w, "wall_seconds", r.WallSeconds);
            Number(w, "train_seconds", r.Epochs.Sum(e => e.TrainSeconds));
            w.WriteNumber("parameters", r.ParameterCount);
            w.WriteNumber("train_rows", r.TrainCount);
            w.WriteNumber("test_rows", r.TestCount);
            w.WriteEndObject();
            if (r.TestOutputs is not null)
            {
                w.WriteStartArray("test_outputs");
                foreach (var v in r.TestOutputs.Value) w.WriteNumberValue(v);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        output.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    static void Number(Utf8JsonWriter w, string name, double? v)
    {
        if (v is double d && double.IsFinite(d)) w.WriteNumber(name, d); else w.WriteNull(name);
    }

    static void Series(Utf8JsonWriter w, string name, IEnumerable<double> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
            if (double.IsFinite(v)) w.WriteNumberValue(v); else w.WriteNullValue();
        w.WriteEndArray();
    }
}
