using Parquet.Serialization.Attributes;

namespace Lrbs.Host.Bench;

/// <summary>results/bench/bench.parquet: one row per measurement, with its ratio to lrbs and the
/// issue's target where there is one.</summary>
public sealed class BenchPartRow
{
    [JsonPropertyName("part")] public string Part { get; set; } = "";
    [JsonPropertyName("case")] public string Case { get; set; } = "";
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [JsonPropertyName("optimizer")] public string Optimizer { get; set; } = "";
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [JsonPropertyName("system")] public string System { get; set; } = "";
    [JsonPropertyName("seconds")] public double? Seconds { get; set; }
    [JsonPropertyName("steps")] public int Steps { get; set; }
    [JsonPropertyName("version")] public string? Version { get; set; }
    [JsonPropertyName("note")] public string? Note { get; set; }
    [JsonPropertyName("peak_gb")] public double? PeakGb { get; set; }
    [JsonPropertyName("lrbs_over_system")] public double? LrbsOverSystem { get; set; }
    [JsonPropertyName("target")] public double? Target { get; set; }
    [JsonPropertyName("verdict")] public string? Verdict { get; set; }
    /// <summary>Training: FLOPs of one step (StepCost); roofline: of one SGEMM.</summary>
    [JsonPropertyName("flops")] public double? Flops { get; set; }
    /// <summary>Training: bytes one step moves; roofline: the triad's span.</summary>
    [JsonPropertyName("bytes")] public double? Bytes { get; set; }
    [JsonPropertyName("working_set")] public double? WorkingSet { get; set; }
    /// <summary>The least seconds per step the roofline allows, what sets it (compute or a memory
    /// level), the fraction of it reached, and the target on that fraction.</summary>
    [JsonPropertyName("bound_seconds")] public double? BoundSeconds { get; set; }
    [JsonPropertyName("bound_by")] public string? BoundBy { get; set; }
    [JsonPropertyName("fraction_of_bound")] public double? FractionOfBound { get; set; }
    [JsonPropertyName("bound_target")] public double? BoundTarget { get; set; }
    [JsonPropertyName("code_version")] public string CodeVersion { get; set; } = "";
    [JsonPropertyName("machine")] public string Machine { get; set; } = "";
    [JsonPropertyName("measured_at"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true), JsonConverter(typeof(Lrbs.Host.Storage.Rows.Micros.Json))] public long MeasuredAt { get; set; }
}
