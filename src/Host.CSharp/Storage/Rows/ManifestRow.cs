namespace Lrbs.Host.Storage.Rows;

/// <summary>OUT/manifest/SWEEP.parquet: one row per planned trial, so tools can tell planned
/// from committed.</summary>
public sealed class ManifestRow
{
    [Meaning("The results schema this row was written in (lrbs-results/N); every part of a folder has the same")]
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [Meaning("The sweep (its file's `name`)")]
    [JsonPropertyName("sweep")] public string Sweep { get; set; } = "";
    [Meaning("The trial's place in the sweep's plan, from 0")]
    [JsonPropertyName("plan_index")] public int PlanIndex { get; set; }
    [Meaning("The planned trial's id")]
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [Meaning("As trials.dataset")]
    [JsonPropertyName("dataset")] public string Dataset { get; set; } = "";
    [Meaning("As trials.model")]
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [Meaning("As trials.optimizer")]
    [JsonPropertyName("optimizer")] public string Optimizer { get; set; } = "";
    [Meaning("As trials.lr")]
    [JsonPropertyName("lr")] public double Lr { get; set; }
    [Meaning("As trials.batch_size", Unit = "examples")]
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [Meaning("As trials.seed")]
    [JsonPropertyName("seed")] public int Seed { get; set; }
    [Meaning("As trials.split")]
    [JsonPropertyName("split")] public string Split { get; set; } = "";
    [Meaning("As trials.schedule")]
    [JsonPropertyName("schedule")] public string Schedule { get; set; } = "";
    [Meaning("As trials.max_epochs", Unit = "epochs")]
    [JsonPropertyName("max_epochs")] public int MaxEpochs { get; set; }
    [Meaning("As trials.config")]
    [JsonPropertyName("config")] public string Config { get; set; } = "";
    [Meaning("How the sweep chose its learning rates: the learning-rate search's settings (a bracket's ends, points, refine_to, max_extend, max_refine: each group's lr searched round by round); null for a fixed grid or where not recorded (parts from before lrbs-results/4)")]
    [JsonPropertyName("search")] public string? Search { get; set; }
    [Meaning("A branched sweep's settings for its critical batch size: tolerance (the paper's ϵ, a loss difference) and the loss compared (test, validation or train), as tolerance=EPS, loss=NAME; null for a sweep without a branch section or where not recorded (parts from before lrbs-results/6)")]
    [JsonPropertyName("branch_settings")] public string? BranchSettings { get; set; }

    public static ManifestRow Of(string sweep, int index, TrialConfig c, string? search = null, string? branchSettings = null)
    {
        var v = Trials.Values(c);
        return new()
        {
            Sweep = sweep, PlanIndex = index, Id = TrialConfigModule.id(c), Dataset = c.Dataset, Model = c.Model, Optimizer = TrialConfigModule.optimizerText(c),
            Lr = c.Lr, BatchSize = c.BatchSize, Seed = c.Seed, Split = v["split"], Schedule = v["schedule"], MaxEpochs = c.Stopping.MaxEpochs,
            Config = TrialConfigModule.canonical(c), Search = search, BranchSettings = branchSettings,
        };
    }
}
