using System.Text.Json.Serialization;
using Lrbs.Core.Training;

namespace Lrbs.Host.Storage.Rows;

/// <summary>OUT/epochs/ID.parquet: one row per epoch of a trial (NaN and infinities stored as null).</summary>
public sealed class EpochRow
{
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [JsonPropertyName("epoch")] public int Epoch { get; set; }
    [JsonPropertyName("train_loss")] public double? TrainLoss { get; set; }
    [JsonPropertyName("train_metric")] public double? TrainMetric { get; set; }
    [JsonPropertyName("val_loss")] public double? ValLoss { get; set; }
    [JsonPropertyName("val_metric")] public double? ValMetric { get; set; }
    [JsonPropertyName("test_loss")] public double? TestLoss { get; set; }
    [JsonPropertyName("test_metric")] public double? TestMetric { get; set; }
    [JsonPropertyName("lr")] public double Lr { get; set; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [JsonPropertyName("steps")] public int Steps { get; set; }
    [JsonPropertyName("seconds")] public double Seconds { get; set; }
    [JsonPropertyName("train_seconds")] public double? TrainSeconds { get; set; }
    /// <summary>The gradient noise scale's moving averages of |G|^2 and tr(Sigma), and B_simple.</summary>
    [JsonPropertyName("gns_g2")] public double? GnsG2 { get; set; }
    [JsonPropertyName("gns_trace")] public double? GnsTrace { get; set; }
    [JsonPropertyName("gns_b_simple")] public double? GnsBSimple { get; set; }

    public static EpochRow Of(string id, EpochRecord e) => new()
    {
        Id = id, Epoch = e.Epoch, TrainLoss = TrialRow.Finite(e.TrainLoss), TrainMetric = TrialRow.Finite(e.TrainMetric),
        ValLoss = TrialRow.Finite(e.ValLoss?.Value), ValMetric = TrialRow.Finite(e.ValMetric?.Value),
        TestLoss = TrialRow.Finite(e.TestLoss), TestMetric = TrialRow.Finite(e.TestMetric), Lr = e.Lr, BatchSize = e.BatchSize,
        Steps = e.Steps, Seconds = e.Seconds, TrainSeconds = e.TrainSeconds,
        GnsG2 = TrialRow.Finite(e.NoiseG2?.Value), GnsTrace = TrialRow.Finite(e.NoiseTrace?.Value), GnsBSimple = TrialRow.Finite(e.NoiseBSimple?.Value),
    };
}
