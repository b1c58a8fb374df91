using System.Text.Json.Serialization;
using Lrbs.Core.Training;

namespace Lrbs.Host.Storage.Rows;

/// <summary>OUT/manifest/SWEEP.parquet: one row per planned trial, so tools can tell planned
/// from committed.</summary>
public sealed class ManifestRow
{
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [JsonPropertyName("sweep")] public string Sweep { get; set; } = "";
    [JsonPropertyName("plan_index")] public int PlanIndex { get; set; }
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [JsonPropertyName("dataset")] public string Dataset { get; set; } = "";
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [JsonPropertyName("optimizer")] public string Optimizer { get; set; } = "";
    [JsonPropertyName("lr")] public double Lr { get; set; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [JsonPropertyName("seed")] public int Seed { get; set; }
    [JsonPropertyName("split")] public string Split { get; set; } = "";
    [JsonPropertyName("schedule")] public string Schedule { get; set; } = "";
    [JsonPropertyName("max_epochs")] public int MaxEpochs { get; set; }
    [JsonPropertyName("config")] public string Config { get; set; } = "";

    public static ManifestRow Of(string sweep, int index, TrialConfig c)
    {
        var v = TrialConfigModule.values(c).ToDictionary(p => p.Item1, p => p.Item2);
        return new()
        {
            Sweep = sweep, PlanIndex = index, Id = TrialConfigModule.id(c), Dataset = c.Dataset, Model = c.Model, Optimizer = TrialConfigModule.optimizerText(c),
            Lr = c.Lr, BatchSize = c.BatchSize, Seed = c.Seed, Split = v["split"], Schedule = v["schedule"], MaxEpochs = c.Stopping.MaxEpochs,
            Config = TrialConfigModule.canonical(c),
        };
    }
}
