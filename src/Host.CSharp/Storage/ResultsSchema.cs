using Lrbs.Core.Training;

namespace Lrbs.Host.Storage;

/// <summary>The Parquet schema of a results folder: every row of every part names its schema
/// version, so a part from an older lrbs (or another tool) is recognised instead of misread.</summary>
public static class ResultsSchema
{
    public const string Version = "lrbs-results/2";

    /// <summary>OUT/trials/ID.parquet: one row per trial.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> Trials =
    [
        ("schema", "VARCHAR"), ("trial_id", "VARCHAR"), ("sweep", "VARCHAR"),
        ("dataset", "VARCHAR"), ("data_dir", "VARCHAR"), ("data_seed", "INTEGER"), ("pool", "INTEGER"), ("split", "VARCHAR"),
        ("train_limit", "INTEGER"), ("image_size", "INTEGER"), ("labels", "VARCHAR"),
        ("model", "VARCHAR"), ("cross_entropy", "VARCHAR"), ("box_loss", "VARCHAR"), ("eval_batches", "VARCHAR"), ("optimizer", "VARCHAR"), ("lr", "DOUBLE"), ("scaling", "VARCHAR"),
        ("batch_size", "INTEGER"), ("schedule", "VARCHAR"), ("max_epochs", "INTEGER"), ("stabilisation", "VARCHAR"),
        ("early_stopping", "VARCHAR"), ("seed", "INTEGER"), ("noise_scale", "VARCHAR"),
        ("status", "VARCHAR"), ("stop_reason", "VARCHAR"), ("error", "VARCHAR"), ("epochs", "INTEGER"), ("steps", "BIGINT"),
        ("metric", "VARCHAR"), ("test_metric", "DOUBLE"), ("test_loss", "DOUBLE"), ("val_metric", "DOUBLE"), ("val_loss", "DOUBLE"),
        ("final_train_loss", "DOUBLE"), ("final_train_metric", "DOUBLE"), ("wall_seconds", "DOUBLE"), ("train_seconds", "DOUBLE"),
        ("parameters", "INTEGER"), ("train_rows", "INTEGER"), ("test_rows", "INTEGER"), ("pack_size", "INTEGER"),
        ("config", "VARCHAR"), ("code_version", "VARCHAR"), ("machine", "VARCHAR"), ("finished_at", "TIMESTAMP"),
    ];

    /// <summary>OUT/epochs/ID.parquet: one row per epoch of a trial.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> Epochs =
    [
        ("schema", "VARCHAR"), ("trial_id", "VARCHAR"), ("epoch", "INTEGER"),
        ("train_loss", "DOUBLE"), ("train_metric", "DOUBLE"), ("val_loss", "DOUBLE"), ("val_metric", "DOUBLE"),
        ("test_loss", "DOUBLE"), ("test_metric", "DOUBLE"), ("lr", "DOUBLE"), ("batch_size", "INTEGER"), ("steps", "INTEGER"),
        ("seconds", "DOUBLE"), ("train_seconds", "DOUBLE"), ("gns_g2", "DOUBLE"), ("gns_trace", "DOUBLE"), ("gns_b_simple", "DOUBLE"),
    ];

    /// <summary>OUT/predictions/ID.parquet for class targets: one row per test example.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> ClassPredictions =
    [
        ("schema", "VARCHAR"), ("trial_id", "VARCHAR"), ("row", "INTEGER"), ("label", "VARCHAR"), ("predicted", "VARCHAR"),
        ("confidence", "DOUBLE"), ("correct", "BOOLEAN"),
    ];

    /// <summary>For multi-label targets: one row per test example and label.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> LabelPredictions =
    [
        ("schema", "VARCHAR"), ("trial_id", "VARCHAR"), ("row", "INTEGER"), ("label", "VARCHAR"), ("truth", "BOOLEAN"),
        ("probability", "DOUBLE"), ("predicted", "BOOLEAN"),
    ];

    /// <summary>For boxes: one row per test example, with S7's error analysis: error = 1 - IoU,
    /// the true box's width, height and smallest side (in [0, 1]) and the error level
    /// (negligible &lt;= 0.1 &lt; low &lt;= 0.2 &lt; medium &lt;= 0.3 &lt; big).</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> BoxPredictions =
    [
        ("schema", "VARCHAR"), ("trial_id", "VARCHAR"), ("row", "INTEGER"),
        ("true_x1", "DOUBLE"), ("true_y1", "DOUBLE"), ("true_x2", "DOUBLE"), ("true_y2", "DOUBLE"),
        ("pred_x1", "DOUBLE"), ("pred_y1", "DOUBLE"), ("pred_x2", "DOUBLE"), ("pred_y2", "DOUBLE"),
        ("iou", "DOUBLE"), ("error", "DOUBLE"), ("width", "DOUBLE"), ("height", "DOUBLE"), ("min_side", "DOUBLE"), ("level", "VARCHAR"),
    ];

    /// <summary>The error level of S7's follow-up: negligible &lt;= 0.1 &lt; low &lt;= 0.2 &lt; medium &lt;= 0.3 &lt; big.</summary>
    public static string ErrorLevel(double error) => error <= 0.1 ? "negligible" : error <= 0.2 ? "low" : error <= 0.3 ? "medium" : "big";

    /// <summary>OUT/manifest/SWEEP.parquet: one row per planned trial.</summary>
    public static readonly IReadOnlyList<(string Name, string Type)> Manifest =
    [
        ("schema", "VARCHAR"), ("sweep", "VARCHAR"), ("plan_index", "INTEGER"), ("trial_id", "VARCHAR"), ("dataset", "VARCHAR"),
        ("model", "VARCHAR"), ("optimizer", "VARCHAR"), ("lr", "DOUBLE"), ("batch_size", "INTEGER"), ("seed", "INTEGER"),
        ("split", "VARCHAR"), ("schedule", "VARCHAR"), ("max_epochs", "INTEGER"), ("config", "VARCHAR"),
    ];
}
