namespace Lrbs.Host.Parity;

/// <summary>results/parity/parity-REFERENCE.parquet: one row per parity case with its verdict and
/// the largest differences found.</summary>
public sealed class ParityRow
{
    [JsonPropertyName("case")] public string Case { get; set; } = "";
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [JsonPropertyName("optimizer")] public string Optimizer { get; set; } = "";
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [JsonPropertyName("steps")] public int Steps { get; set; }
    [JsonPropertyName("reference")] public string? Reference { get; set; }
    [JsonPropertyName("verdict")] public string Verdict { get; set; } = "";
    [JsonPropertyName("note")] public string? Note { get; set; }
    [JsonPropertyName("loss_max_abs")] public double? LossMaxAbs { get; set; }
    [JsonPropertyName("loss_max_rel")] public double? LossMaxRel { get; set; }
    [JsonPropertyName("grad_max_abs")] public double? GradMaxAbs { get; set; }
    [JsonPropertyName("grad_max_rel")] public double? GradMaxRel { get; set; }
    [JsonPropertyName("weight_max_abs")] public double? WeightMaxAbs { get; set; }
    [JsonPropertyName("weight_max_rel")] public double? WeightMaxRel { get; set; }
    [JsonPropertyName("tolerances")] public string Tolerances { get; set; } = "";
    [JsonPropertyName("code_version")] public string CodeVersion { get; set; } = "";

    static double? F(double? v) => Storage.Rows.TrialRow.Finite(v);

    public static ParityRow Of(CaseResult r, string codeVersion) => new()
    {
        Case = r.Case.Name, Model = r.Case.ModelName, Optimizer = r.Case.OptimizerName, BatchSize = r.Case.BatchSize, Steps = r.Case.Batches.Count,
        Reference = r.Reference, Verdict = r.Verdict, Note = r.Note,
        LossMaxAbs = F(r.Loss?.MaxAbs), LossMaxRel = F(r.Loss?.MaxRel), GradMaxAbs = F(r.Gradients?.MaxAbs), GradMaxRel = F(r.Gradients?.MaxRel),
        WeightMaxAbs = F(r.Weights?.MaxAbs), WeightMaxRel = F(r.Weights?.MaxRel), Tolerances = Comparison.Describe, CodeVersion = codeVersion,
    };
}
