using System.Text.Json.Serialization;
using Lrbs.Core.Training;
using Parquet.Serialization.Attributes;

namespace Lrbs.Host.Storage.Rows;

/// <summary>OUT/trials/ID.parquet: one row per finished trial, the commit point of the trial.
/// Config columns hold TrialConfig's canonical values (one formatting, shared with the trial id);
/// then the outcome. Columns that older parts lack read back as null (train_seconds, pack_size,
/// box_loss, eval_batches, blas, resumed_epochs).</summary>
public sealed class TrialRow
{
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [JsonPropertyName("sweep")] public string Sweep { get; set; } = "";
    [JsonPropertyName("dataset")] public string Dataset { get; set; } = "";
    [JsonPropertyName("data_dir")] public string? DataDir { get; set; }
    [JsonPropertyName("data_seed")] public int DataSeed { get; set; }
    [JsonPropertyName("pool")] public int? Pool { get; set; }
    [JsonPropertyName("split")] public string Split { get; set; } = "";
    [JsonPropertyName("train_limit")] public int? TrainLimit { get; set; }
    [JsonPropertyName("image_size")] public int? ImageSize { get; set; }
    [JsonPropertyName("labels")] public string? Labels { get; set; }
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [JsonPropertyName("cross_entropy")] public string CrossEntropy { get; set; } = "";
    /// <summary>Box targets: the 1 - IoU form trained on (keras-plus-one or exact); null otherwise.</summary>
    [JsonPropertyName("box_loss")] public string? BoxLoss { get; set; }
    /// <summary>all or whole (whole batches of batch_size, as S1's study); null in parts older than the key (all).</summary>
    [JsonPropertyName("eval_batches")] public string? EvalBatches { get; set; }
    [JsonPropertyName("optimizer")] public string Optimizer { get; set; } = "";
    [JsonPropertyName("lr")] public double Lr { get; set; }
    [JsonPropertyName("scaling")] public string? Scaling { get; set; }
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [JsonPropertyName("schedule")] public string Schedule { get; set; } = "";
    [JsonPropertyName("max_epochs")] public int MaxEpochs { get; set; }
    [JsonPropertyName("stabilisation")] public string? Stabilisation { get; set; }
    [JsonPropertyName("early_stopping")] public string? EarlyStopping { get; set; }
    [JsonPropertyName("seed")] public int Seed { get; set; }
    [JsonPropertyName("noise_scale")] public string? NoiseScale { get; set; }
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("stop_reason")] public string? StopReason { get; set; }
    [JsonPropertyName("error")] public string? Error { get; set; }
    [JsonPropertyName("epochs")] public int Epochs { get; set; }
    [JsonPropertyName("steps")] public long Steps { get; set; }
    [JsonPropertyName("metric")] public string Metric { get; set; } = "";
    [JsonPropertyName("test_metric")] public double? TestMetric { get; set; }
    [JsonPropertyName("test_loss")] public double? TestLoss { get; set; }
    [JsonPropertyName("val_metric")] public double? ValMetric { get; set; }
    [JsonPropertyName("val_loss")] public double? ValLoss { get; set; }
    [JsonPropertyName("final_train_loss")] public double? FinalTrainLoss { get; set; }
    [JsonPropertyName("final_train_metric")] public double? FinalTrainMetric { get; set; }
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; set; }
    [JsonPropertyName("train_seconds")] public double? TrainSeconds { get; set; }
    [JsonPropertyName("parameters")] public int Parameters { get; set; }
    [JsonPropertyName("train_rows")] public int TrainRows { get; set; }
    /// <summary>The test rows evaluated (with eval_batches whole, those that fill whole batches).</summary>
    [JsonPropertyName("test_rows")] public int TestRows { get; set; }
    [JsonPropertyName("pack_size")] public int? PackSize { get; set; }
    /// <summary>Epochs restored from a checkpoint when the trial resumed mid-way (0: trained from the
    /// start in one run). Null in parts older than the column.</summary>
    [JsonPropertyName("resumed_epochs")] public int? ResumedEpochs { get; set; }
    /// <summary>TrialConfig's canonical text: the trial id is its hash.</summary>
    [JsonPropertyName("config")] public string Config { get; set; } = "";
    [JsonPropertyName("code_version")] public string CodeVersion { get; set; } = "";
    [JsonPropertyName("machine")] public string Machine { get; set; } = "";
    /// <summary>The BLAS kernel family the trial's matrix products ran on (OpenBLAS's core name, set by
    /// OPENBLAS_CORETYPE or detected): results reproduce bit for bit on the same one only. Null in
    /// parts older than the column.</summary>
    [JsonPropertyName("blas")] public string? Blas { get; set; }
    [JsonPropertyName("finished_at"), ParquetTimestamp] public DateTime FinishedAt { get; set; }

    /// <summary>Finished without failing or diverging.</summary>
    [ParquetIgnore, JsonIgnore] public bool Finished => Status is "ok" or "stopped_early";
    /// <summary>The slice of the study a trial belongs to: one grid per (dataset, model, optimizer,
    /// and scaling rule where one is set).</summary>
    [ParquetIgnore, JsonIgnore] public string Group => $"{Dataset} / {Model} / {Optimizer}" + (Scaling is null ? "" : $" / scaling {Scaling}");

    /// <summary>The row of a finished trial.</summary>
    public static TrialRow Of(string sweep, TrialResult r, string codeVersion, DateTime finishedAt)
    {
        var c = r.Config;
        var v = TrialConfigModule.values(c).ToDictionary(p => p.Item1, p => p.Item2);
        string? Opt(string key) => v.TryGetValue(key, out var s) && s.Length > 0 ? s : null;
        var last = r.Epochs.IsEmpty ? null : r.Epochs[^1];
        return new TrialRow
        {
            Id = TrialConfigModule.id(c), Sweep = sweep,
            Dataset = c.Dataset, DataDir = Opt("data_dir"), DataSeed = c.DataSeed, Pool = c.Pool?.Value, Split = v["split"],
            TrainLimit = c.TrainLimit?.Value, ImageSize = c.ImageSize?.Value, Labels = Opt("labels"),
            Model = c.Model, CrossEntropy = v["cross_entropy"], BoxLoss = Opt("box_loss"), EvalBatches = c.EvalWholeBatches ? "whole" : "all",
            Optimizer = v["optimizer"], Lr = c.Lr, Scaling = Opt("scaling"), BatchSize = c.BatchSize, Schedule = v["schedule"],
            MaxEpochs = c.Stopping.MaxEpochs, Stabilisation = Opt("stabilisation"), EarlyStopping = Opt("early_stopping"),
            Seed = c.Seed, NoiseScale = Opt("noise_scale"),
            Status = r.Status.Name, StopReason = r.StopReason?.Value.ToString(), Error = r.Status is TrialStatus.Failed f ? f.message : null,
            Epochs = r.Epochs.Length, Steps = r.Steps, Metric = r.MetricName,
            TestMetric = Finite(r.FinalTestMetric), TestLoss = Finite(r.FinalTestLoss),
            ValMetric = Finite(last?.ValMetric?.Value), ValLoss = Finite(last?.ValLoss?.Value),
            FinalTrainLoss = Finite(last?.TrainLoss), FinalTrainMetric = Finite(last?.TrainMetric),
            WallSeconds = r.WallSeconds, TrainSeconds = r.Epochs.Sum(e => e.TrainSeconds),
            Parameters = r.ParameterCount, TrainRows = r.TrainCount, TestRows = r.TestCount, PackSize = r.PackSize, ResumedEpochs = r.ResumedEpochs,
            Config = TrialConfigModule.canonical(c), CodeVersion = codeVersion, Machine = Environment.MachineName, Blas = Lrbs.Core.Engine.Runtime.blasCore(), FinishedAt = finishedAt,
        };
    }

    /// <summary>A number, or null for NaN and infinities (a diverged or empty value).</summary>
    public static double? Finite(double? v) => v is double d && double.IsFinite(d) ? d : null;
}
