namespace Lrbs.Host.Report;

/// <summary>OUT/report/critical_batch.parquet (written by `lrbs report` for a branched study): the
/// critical batch size at each branch point, CBS(t), as the report's table gives it. A derived
/// table: `lrbs report` rewrites it from the results folder.</summary>
public sealed class CriticalBatchRow
{
    [Meaning("The reference family: group, learning rate and reference batch size")]
    [JsonPropertyName("family")] public string Family { get; set; } = "";
    [Meaning("As trials.dataset")]
    [JsonPropertyName("dataset")] public string Dataset { get; set; } = "";
    [Meaning("As trials.model")]
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [Meaning("As trials.optimizer")]
    [JsonPropertyName("optimizer")] public string Optimizer { get; set; } = "";
    [Meaning("The reference runs' learning rate")]
    [JsonPropertyName("lr")] public double Lr { get; set; }
    [Meaning("The reference runs' batch size", Unit = "examples")]
    [JsonPropertyName("reference_batch")] public int ReferenceBatch { get; set; }
    [Meaning("The branch point: epochs into the reference run", Unit = "epochs")]
    [JsonPropertyName("at_epochs")] public double At { get; set; }
    [Meaning("Examples the reference run had seen at the branch point", Unit = "examples")]
    [JsonPropertyName("examples_seen")] public double Examples { get; set; }
    [Meaning("CBS(t): the geometric mean of the largest branch batch size that kept up and the next one tried (that batch size itself where none above was tried: a lower bound)", Unit = "examples")]
    [JsonPropertyName("cbs")] public double Cbs { get; set; }
    [Meaning("The largest branch batch size that kept up", Unit = "examples")]
    [JsonPropertyName("cbs_lower")] public int Lower { get; set; }
    [Meaning("The next branch batch size tried above it; null where none was (cbs is a lower bound)", Unit = "examples")]
    [JsonPropertyName("cbs_upper")] public int? Upper { get; set; }
    [Meaning("Whether cbs is a lower bound (the largest branch kept up)")]
    [JsonPropertyName("is_bound")] public bool IsBound { get; set; }
    [Meaning("The lowest of the repeats' own estimates", Unit = "examples")]
    [JsonPropertyName("repeats_low")] public double RepeatsLow { get; set; }
    [Meaning("The highest of the repeats' own estimates", Unit = "examples")]
    [JsonPropertyName("repeats_high")] public double RepeatsHigh { get; set; }
    [Meaning("Repeats with every branch at this point")]
    [JsonPropertyName("repeats")] public int Repeats { get; set; }
    [Meaning("The reference runs' gradient noise scale B_simple at this point (the mean over the reference runs of trials.branch_b_simple), or read log-log between their epochs' ends where a run measured none at the point; null where not measured", Unit = "examples")]
    [JsonPropertyName("b_simple")] public double? BSimple { get; set; }
    [Meaning("The tolerance ϵ on the loss (absolute)")]
    [JsonPropertyName("tolerance")] public double Tolerance { get; set; }
    [Meaning("The loss compared at each window's end: test, validation or train")]
    [JsonPropertyName("loss")] public string Loss { get; set; } = "";
}
