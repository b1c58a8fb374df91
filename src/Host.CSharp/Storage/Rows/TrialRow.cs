using Parquet.Serialization.Attributes;

namespace Lrbs.Host.Storage.Rows;

/// <summary>OUT/trials/ID.parquet: one row per finished trial, the commit point of the trial.
/// Config columns hold TrialConfig's canonical values (one formatting, shared with the trial id);
/// then the outcome. Each column's meaning is its [Meaning] (docs/results.md is generated from them).</summary>
public sealed class TrialRow
{
    [Meaning("The results schema this row was written in (lrbs-results/N); every part of a folder has the same")]
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [Meaning("The trial id: the first 16 hex digits of SHA-256 over `config`")]
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [Meaning("The sweep (its file's `name`) that planned the trial; `train` for a trial committed by `lrbs train --out`")]
    [JsonPropertyName("sweep")] public string Sweep { get; set; } = "";
    [Meaning("The dataset key (fashion-mnist, mnist, boxes, sdss17, image-folder, celeba)")]
    [JsonPropertyName("dataset")] public string Dataset { get; set; } = "";
    [Meaning("The folder the data was read from; null for the dataset's default source")]
    [JsonPropertyName("data_dir")] public string? DataDir { get; set; }
    [Meaning("Seeds the pool draw, the split and generated data")]
    [JsonPropertyName("data_seed")] public int DataSeed { get; set; }
    [Meaning("Rows drawn (seeded) from the dataset before the split; null for all rows", Unit = "rows")]
    [JsonPropertyName("pool")] public int? Pool { get; set; }
    [Meaning("The partition: official, or train/val/test percentages such as 80/20 or 80/10/10")]
    [JsonPropertyName("split")] public string Split { get; set; } = "";
    [Meaning("Only the first N training rows were used; null for all", Unit = "rows")]
    [JsonPropertyName("train_limit")] public int? TrainLimit { get; set; }
    [Meaning("Evaluated on a seeded draw of N test rows (quick runs); null for the whole test partition", Unit = "rows")]
    [JsonPropertyName("test_limit")] public int? TestLimit { get; set; }
    [Meaning("Image folders and CelebA: the side images were resized to; null otherwise", Unit = "pixels")]
    [JsonPropertyName("image_size")] public int? ImageSize { get; set; }
    [Meaning("Attribute datasets: the comma-separated attributes predicted; null otherwise")]
    [JsonPropertyName("labels")] public string? Labels { get; set; }
    [Meaning("A built-in model's name, or a declared model's name")]
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    [Meaning("The cross-entropy form: logits (tf.keras) or clipped (TensorFlow.js)")]
    [JsonPropertyName("cross_entropy")] public string CrossEntropy { get; set; } = "";
    [Meaning("Box targets: the 1 - IoU trained on, keras-plus-one (+ 1 on widths and heights) or exact; null for other targets")]
    [JsonPropertyName("box_loss")] public string? BoxLoss { get; set; }
    [Meaning("all (every test row evaluated) or whole (whole batches of batch_size, the last partial batch dropped)")]
    [JsonPropertyName("eval_batches")] public string EvalBatches { get; set; } = "all";
    [Meaning("The optimizer and every hyper-parameter, canonical text (e.g. adam:beta1=0.9:...)")]
    [JsonPropertyName("optimizer")] public string Optimizer { get; set; } = "";
    [Meaning("The learning rate given (before a scaling rule or schedule)")]
    [JsonPropertyName("lr")] public double Lr { get; set; }
    [Meaning("The scaling rule as rule:base_batch:warmup_epochs; null for none")]
    [JsonPropertyName("scaling")] public string? Scaling { get; set; }
    [Meaning("The batch size the trial started with", Unit = "examples")]
    [JsonPropertyName("batch_size")] public int BatchSize { get; set; }
    [Meaning("The learning-rate or batch-size schedule (constant, step:F:K, plateau:..., grow-batch:...)")]
    [JsonPropertyName("schedule")] public string Schedule { get; set; } = "";
    [Meaning("The most epochs the trial could run", Unit = "epochs")]
    [JsonPropertyName("max_epochs")] public int MaxEpochs { get; set; }
    [Meaning("The loss-stabilisation rule as delta:patience; null when off")]
    [JsonPropertyName("stabilisation")] public string? Stabilisation { get; set; }
    [Meaning("Keras EarlyStopping as patience:min_delta; null when off")]
    [JsonPropertyName("early_stopping")] public string? EarlyStopping { get; set; }
    [Meaning("The loss early stopping watched, by its Keras name: val_loss (the validation loss) or loss (the epoch's training loss); null when early stopping is off")]
    [JsonPropertyName("early_stopping_monitor")] public string? EarlyStoppingMonitor { get; set; }
    [Meaning("Seeds the weights, the shuffling and dropout")]
    [JsonPropertyName("seed")] public int Seed { get; set; }
    [Meaning("The gradient noise scale measurement as every:small:ema; null when off")]
    [JsonPropertyName("noise_scale")] public string? NoiseScale { get; set; }
    [Meaning("A branch's reference run: its trial id (the branch starts from its state at branch_at); null for a trial that is not a branch")]
    [JsonPropertyName("branch_reference")] public string? BranchReference { get; set; }
    [Meaning("A branch's start: epochs into its reference run (the reference step round(branch_at x its steps per epoch)); null for a trial that is not a branch", Unit = "epochs")]
    [JsonPropertyName("branch_at")] public double? BranchAt { get; set; }
    [Meaning("A branch's reference run's batch size; null for a trial that is not a branch", Unit = "examples")]
    [JsonPropertyName("branch_batch")] public int? BranchBatch { get; set; }
    [Meaning("The examples a branch trained from its start, in epochs; its loss columns are at the window's end; null for a trial that is not a branch", Unit = "epochs")]
    [JsonPropertyName("branch_window")] public double? BranchWindow { get; set; }
    [Meaning("A branch: its reference run's gradient noise scale B_simple at the branch point (the moving averages of |G|² and tr(Σ) in the state it started from); null for a trial that is not a branch, or where the reference run had measured none yet", Unit = "examples")]
    [JsonPropertyName("branch_b_simple")] public double? BranchBSimple { get; set; }
    [Meaning("How the trial ended: ok, stopped_early, diverged or failed")]
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [Meaning("Why training stopped: MaxEpochs, LossStabilised, EarlyStopped, Diverged or WindowEnd (a branch trained its window); null for a failed trial")]
    [JsonPropertyName("stop_reason")] public string? StopReason { get; set; }
    [Meaning("A failed trial's error message; null otherwise")]
    [JsonPropertyName("error")] public string? Error { get; set; }
    [Meaning("Epochs run", Unit = "epochs")]
    [JsonPropertyName("epochs")] public int Epochs { get; set; }
    [Meaning("Optimizer updates run", Unit = "steps")]
    [JsonPropertyName("steps")] public long Steps { get; set; }
    [Meaning("The name of the *_metric columns: accuracy, exact_match or iou (the exact IoU)")]
    [JsonPropertyName("metric")] public string Metric { get; set; } = "";
    [Meaning("The metric on the test partition after the last epoch; null when not finite")]
    [JsonPropertyName("test_metric")] public double? TestMetric { get; set; }
    [Meaning("The test metric of the best constant prediction on the rows evaluated: the majority class's share (accuracy), the rows whose every attribute equals its majority (exact_match), the mean exact IoU of the mean box (iou); null where not known")]
    [JsonPropertyName("chance_metric")] public double? ChanceMetric { get; set; }
    [Meaning("Finished (ok or stopped_early) without having learned: the final test metric at or below chance_metric + 2 sqrt(c (1 - c) / test_rows), or the last epoch's training loss above the first's; false for diverged and failed trials; null where it cannot be known (a trial migrated from before lrbs-results/4 whose data was not on the machine)")]
    [JsonPropertyName("collapsed")] public bool? Collapsed { get; set; }
    [Meaning("The loss on the test partition after the last epoch; null when not finite")]
    [JsonPropertyName("test_loss")] public double? TestLoss { get; set; }
    [Meaning("The metric on the validation partition after the last epoch; null without one")]
    [JsonPropertyName("val_metric")] public double? ValMetric { get; set; }
    [Meaning("The loss on the validation partition after the last epoch; null without one")]
    [JsonPropertyName("val_loss")] public double? ValLoss { get; set; }
    [Meaning("The last epoch's mean training loss; null when not finite")]
    [JsonPropertyName("final_train_loss")] public double? FinalTrainLoss { get; set; }
    [Meaning("The last epoch's running training metric; null when not finite")]
    [JsonPropertyName("final_train_metric")] public double? FinalTrainMetric { get; set; }
    [Meaning("The trial from start to commit, evaluation included", Unit = "s")]
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; set; }
    [Meaning("The training steps alone, summed over epochs; null in parts from before it was recorded", Unit = "s")]
    [JsonPropertyName("train_seconds")] public double? TrainSeconds { get; set; }
    [Meaning("Trainable parameters of the model", Unit = "parameters")]
    [JsonPropertyName("parameters")] public int Parameters { get; set; }
    [Meaning("Rows in the training partition", Unit = "rows")]
    [JsonPropertyName("train_rows")] public int TrainRows { get; set; }
    [Meaning("Test rows evaluated (with eval_batches whole, those that fill whole batches)", Unit = "rows")]
    [JsonPropertyName("test_rows")] public int TestRows { get; set; }
    [Meaning("Members of the packed net the trial trained in (1: alone); null in parts from before it was recorded", Unit = "members")]
    [JsonPropertyName("pack_size")] public int? PackSize { get; set; }
    [Meaning("Epochs restored from a checkpoint when the trial resumed mid-way (0: trained in one run)", Unit = "epochs")]
    [JsonPropertyName("resumed_epochs")] public int ResumedEpochs { get; set; }
    [Meaning("The canonical text of the trial's definition (every key with its resolved value); the id is its hash")]
    [JsonPropertyName("config")] public string Config { get; set; } = "";
    [Meaning("The git commit of lrbs that trained the trial, with -dirty for uncommitted code changes")]
    [JsonPropertyName("code_version")] public string CodeVersion { get; set; } = "";
    [Meaning("The host name of the machine that trained the trial")]
    [JsonPropertyName("machine")] public string Machine { get; set; } = "";
    [Meaning("OpenBLAS's kernel family the matrix products ran on (results reproduce bit for bit on the same one only); null in parts from before it was recorded")]
    [JsonPropertyName("blas")] public string? Blas { get; set; }
    [Meaning("When the trial was committed", Unit = "UTC")]
    [JsonPropertyName("finished_at"), ParquetTimestamp(ParquetTimestampResolution.Microseconds, true, true), JsonConverter(typeof(Micros.Json))] public long FinishedAt { get; set; }

    /// <summary>Finished without failing or diverging.</summary>
    [ParquetIgnore, JsonIgnore] public bool Finished => Status is "ok" or "stopped_early";
    /// <summary>A result a study can use: finished, and not collapsed (Collapse).</summary>
    [ParquetIgnore, JsonIgnore] public bool Learned => Finished && Collapsed != true;
    /// <summary>The slice of the study a trial belongs to: one grid per (dataset, model, optimizer,
    /// and scaling rule where one is set).</summary>
    [ParquetIgnore, JsonIgnore] public string Group => $"{Dataset} / {Model} / {Optimizer}" + (Scaling is null ? "" : $" / scaling {Scaling}") + (Pool is null ? "" : $" / pool {Pool}");

    /// <summary>The row of a finished trial.</summary>
    public static TrialRow Of(string sweep, TrialResult r, string codeVersion, DateTime finishedAt) =>
        Of(sweep, r, Recorded.Trial(r), codeVersion, finishedAt);

    /// <summary>The row of a finished trial whose optional facts the caller has already read (`o`
    /// is Recorded.Trial(r)).</summary>
    public static TrialRow Of(string sweep, TrialResult r, RecordedTrial o, string codeVersion, DateTime finishedAt)
    {
        var c = r.Config;
        var v = Trials.Values(c);
        string? Opt(string key) => v.TryGetValue(key, out var s) && s.Length > 0 ? s : null;
        var last = o.Epochs.Length == 0 ? null : o.Epochs[^1];
        return new TrialRow
        {
            Id = TrialConfigModule.id(c), Sweep = sweep,
            Dataset = c.Dataset, DataDir = Opt("data_dir"), DataSeed = c.DataSeed, Pool = o.Pool, Split = v["split"],
            TrainLimit = o.TrainLimit, TestLimit = o.TestLimit, ImageSize = o.ImageSize, Labels = Opt("labels"),
            Model = c.Model, CrossEntropy = v["cross_entropy"], BoxLoss = Opt("box_loss"), EvalBatches = c.EvalWholeBatches ? "whole" : "all",
            Optimizer = v["optimizer"], Lr = c.Lr, Scaling = Opt("scaling"), BatchSize = c.BatchSize, Schedule = v["schedule"],
            MaxEpochs = c.Stopping.MaxEpochs, Stabilisation = Opt("stabilisation"), EarlyStopping = Opt("early_stopping"),
            EarlyStoppingMonitor = o.EarlyStoppingMonitor,
            Seed = c.Seed, NoiseScale = Opt("noise_scale"),
            BranchReference = o.BranchReference,
            BranchAt = o.BranchAt, BranchBatch = o.BranchBatch, BranchWindow = o.BranchWindow,
            BranchBSimple = Finite(o.BranchBSimple),
            Status = r.Status.Name, StopReason = o.StopReason, Error = r.Status is TrialStatus.Failed f ? f.message : null,
            Epochs = o.Epochs.Length, Steps = r.Steps, Metric = r.MetricName,
            TestMetric = Finite(r.FinalTestMetric), TestLoss = Finite(r.FinalTestLoss), ChanceMetric = Finite(r.ChanceMetric), Collapsed = o.Collapsed,
            ValMetric = Finite(last?.ValMetric), ValLoss = Finite(last?.ValLoss),
            FinalTrainLoss = Finite(last?.Record.TrainLoss), FinalTrainMetric = Finite(last?.Record.TrainMetric),
            WallSeconds = r.WallSeconds, TrainSeconds = o.Epochs.Sum(e => e.Record.TrainSeconds),
            Parameters = r.ParameterCount, TrainRows = r.TrainCount, TestRows = r.TestCount, PackSize = r.PackSize, ResumedEpochs = r.ResumedEpochs,
            Config = TrialConfigModule.canonical(c), CodeVersion = codeVersion, Machine = Environment.MachineName, Blas = Lrbs.Core.Engine.Runtime.blasCore(), FinishedAt = Micros.Of(finishedAt),
        };
    }

    /// <summary>A number, or null for NaN and infinities (a diverged or empty value).</summary>
    public static double? Finite(double? v) => v is double d && double.IsFinite(d) ? d : null;
}
