namespace Lrbs.Host.Storage.Rows;

/// <summary>OUT/epochs/ID.parquet: one row per epoch of a trial (NaN and infinities stored as null).</summary>
public sealed class EpochRow
{
    [Meaning("The results schema this row was written in (lrbs-results/N); every part of a folder has the same")]
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [Meaning("The trial (trials.trial_id)")]
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [Meaning("The epoch, from 1", Unit = "epochs")]
    [JsonPropertyName("epoch")] public int Epoch { get; set; }
    [Meaning("Mean training loss over the epoch's examples (batches weighted by size, as Keras); null when not finite")]
    [JsonPropertyName("train_loss")] public double? TrainLoss { get; set; }
    [Meaning("Running training metric over the epoch (trials.metric); null when not finite")]
    [JsonPropertyName("train_metric")] public double? TrainMetric { get; set; }
    [Meaning("Loss on the validation partition at the epoch's end; null without one")]
    [JsonPropertyName("val_loss")] public double? ValLoss { get; set; }
    [Meaning("Metric on the validation partition at the epoch's end; null without one")]
    [JsonPropertyName("val_metric")] public double? ValMetric { get; set; }
    [Meaning("Loss on the test partition at the epoch's end; null when not finite")]
    [JsonPropertyName("test_loss")] public double? TestLoss { get; set; }
    [Meaning("Metric on the test partition at the epoch's end; null when not finite")]
    [JsonPropertyName("test_metric")] public double? TestMetric { get; set; }
    [Meaning("The learning rate of the epoch's last step")]
    [JsonPropertyName("lr")] public double Lr { get; set; }
    [Meaning("The epoch's batch size (a grow-batch schedule changes it)", Unit = "examples")]
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [Meaning("Optimizer updates in the epoch", Unit = "steps")]
    [JsonPropertyName("steps")] public int Steps { get; set; }
    [Meaning("The whole epoch, evaluation included", Unit = "s")]
    [JsonPropertyName("seconds")] public double Seconds { get; set; }
    [Meaning("The epoch's training steps alone; null in parts from before it was recorded", Unit = "s")]
    [JsonPropertyName("train_seconds")] public double? TrainSeconds { get; set; }
    /// <summary>The gradient noise scale's moving averages of |G|^2 and tr(Sigma), and B_simple.</summary>
    [Meaning("Gradient noise scale: moving average of |G|^2 at the epoch's end; null when not measured")]
    [JsonPropertyName("gns_g2")] public double? GnsG2 { get; set; }
    [Meaning("Gradient noise scale: moving average of tr(Sigma) at the epoch's end; null when not measured")]
    [JsonPropertyName("gns_trace")] public double? GnsTrace { get; set; }
    [Meaning("B_simple = tr(Sigma) / |G|^2 (McCandlish et al. 2018) at the epoch's end; null when not measured", Unit = "examples")]
    [JsonPropertyName("gns_b_simple")] public double? GnsBSimple { get; set; }

    public static EpochRow Of(string id, RecordedEpoch o)
    {
        var e = o.Record;
        return new()
        {
            Id = id, Epoch = e.Epoch, TrainLoss = TrialRow.Finite(e.TrainLoss), TrainMetric = TrialRow.Finite(e.TrainMetric),
            ValLoss = TrialRow.Finite(o.ValLoss), ValMetric = TrialRow.Finite(o.ValMetric),
            TestLoss = TrialRow.Finite(e.TestLoss), TestMetric = TrialRow.Finite(e.TestMetric), Lr = e.Lr, BatchSize = e.BatchSize,
            Steps = e.Steps, Seconds = e.Seconds, TrainSeconds = e.TrainSeconds,
            GnsG2 = TrialRow.Finite(o.NoiseG2), GnsTrace = TrialRow.Finite(o.NoiseTrace), GnsBSimple = TrialRow.Finite(o.NoiseBSimple),
        };
    }
}
