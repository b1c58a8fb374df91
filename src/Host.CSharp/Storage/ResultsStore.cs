using System.Globalization;
using System.Text;
using Lrbs.Core.Data;
using Lrbs.Core.Training;

namespace Lrbs.Host.Storage;

/// <summary>Where and how trial results are stored: OUT/trials/ID.parquet (one row) and
/// OUT/epochs/ID.parquet (one row per epoch), typed columns, written by DuckDB.
/// Each file is written under a temporary name and renamed into place; the trial file is
/// written last, so its rename is the commit point: a trial is finished iff it exists.</summary>
public sealed class ResultsStore(string outDir)
{
    public string OutDir { get; } = outDir;
    public string TrialsDir => Path.Combine(OutDir, "trials");
    public string EpochsDir => Path.Combine(OutDir, "epochs");

    public string TrialPath(string id) => Path.Combine(TrialsDir, id + ".parquet");

    /// <summary>Whether a trial's result is committed.</summary>
    public bool IsFinished(string id) => File.Exists(TrialPath(id));

    /// <summary>Column names and DuckDB types of the trials table (metric column named per task).</summary>
    public static IReadOnlyList<(string Name, string Type)> TrialColumns(string metric) =>
    [
        ("trial_id", "VARCHAR"), ("sweep", "VARCHAR"), ("dataset", "VARCHAR"), ("model", "VARCHAR"),
        ("optimizer", "VARCHAR"), ("lr", "DOUBLE"), ("batch_size", "INTEGER"), ("schedule", "VARCHAR"),
        ("split", "VARCHAR"), ("seed", "INTEGER"), ("max_epochs", "INTEGER"), ("status", "VARCHAR"),
        ("stop_reason", "VARCHAR"), ("error", "VARCHAR"), ("epochs", "INTEGER"), ("steps", "BIGINT"),
        ($"test_{metric}", "DOUBLE"), ("test_loss", "DOUBLE"), ("final_train_loss", "DOUBLE"),
        ("wall_seconds", "DOUBLE"), ("parameters", "INTEGER"), ("train_rows", "INTEGER"), ("test_rows", "INTEGER"),
        ("code_version", "VARCHAR"), ("machine", "VARCHAR"), ("finished_at", "TIMESTAMP"),
    ];

    public static IReadOnlyList<(string Name, string Type)> EpochColumns(string metric) =>
    [
        ("trial_id", "VARCHAR"), ("epoch", "INTEGER"), ("train_loss", "DOUBLE"), ($"train_{metric}", "DOUBLE"),
        ("val_loss", "DOUBLE"), ($"val_{metric}", "DOUBLE"), ("test_loss", "DOUBLE"), ($"test_{metric}", "DOUBLE"),
        ("lr", "DOUBLE"), ("batch_size", "INTEGER"), ("steps", "INTEGER"), ("seconds", "DOUBLE"),
    ];

    /// <summary>Writes one finished trial: epochs part first, then the trial part (the commit).</summary>
    public void Write(string sweep, TrialResult r, string codeVersion)
    {
        Directory.CreateDirectory(TrialsDir);
        Directory.CreateDirectory(EpochsDir);
        var id = TrialConfigModule.id(r.Config);
        var c = r.Config;
        var epochRows = r.Epochs.Select(e => new[]
        {
            DuckDb.Text(id), e.Epoch.ToString(CultureInfo.InvariantCulture), DuckDb.Double(e.TrainLoss), DuckDb.Double(e.TrainMetric),
            DuckDb.Double(e.ValLoss?.Value), DuckDb.Double(e.ValMetric?.Value), DuckDb.Double(e.TestLoss), DuckDb.Double(e.TestMetric),
            DuckDb.Double(e.Lr), e.BatchSize.ToString(CultureInfo.InvariantCulture), e.Steps.ToString(CultureInfo.InvariantCulture),
            DuckDb.Double(e.Seconds),
        }).ToList();
        var last = r.Epochs.IsEmpty ? null : r.Epochs[^1];
        var trialRow = new[]
        {
            DuckDb.Text(id), DuckDb.Text(sweep), DuckDb.Text(c.Dataset), DuckDb.Text(c.Model), DuckDb.Text(c.OptimizerName),
            DuckDb.Double(c.Lr), Int(c.BatchSize), DuckDb.Text(c.Schedule.ToString()), DuckDb.Text(SplitModule.describe(c.Split)),
            Int(c.Seed), Int(c.Stopping.MaxEpochs), DuckDb.Text(r.Status.Name), DuckDb.Text(r.StopReason?.Value.ToString()),
            DuckDb.Text(r.Status is TrialStatus.Failed f ? f.message : null), Int(r.Epochs.Length), Int(r.Steps),
            DuckDb.Double(r.FinalTestMetric), DuckDb.Double(r.FinalTestLoss), DuckDb.Double(last?.TrainLoss),
            DuckDb.Double(r.WallSeconds), Int(r.ParameterCount), Int(r.TrainCount), Int(r.TestCount),
            DuckDb.Text(codeVersion), DuckDb.Text(Environment.MachineName),
            $"TIMESTAMP {DuckDb.Text(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture))}",
        };
        using var db = new DuckDb();
        ParquetPart.Write(db, "epochs", EpochColumns(r.MetricName), epochRows, Path.Combine(EpochsDir, id + ".parquet"));
        ParquetPart.Write(db, "trials", TrialColumns(r.MetricName), [trialRow], TrialPath(id));
    }

    /// <summary>Writes OUT/manifest/SWEEP.parquet: one row per planned trial (plan index, id and
    /// config), so tools can tell planned from committed. Shards write identical content.</summary>
    public void WriteManifest(string sweep, IEnumerable<(int Index, string Id, TrialConfig Config)> trials)
    {
        var dir = Path.Combine(OutDir, "manifest");
        Directory.CreateDirectory(dir);
        var rows = trials.Select(t => new[]
        {
            DuckDb.Text(sweep), Int(t.Index), DuckDb.Text(t.Id), DuckDb.Text(t.Config.Dataset), DuckDb.Text(t.Config.Model),
            DuckDb.Text(t.Config.OptimizerName), DuckDb.Double(t.Config.Lr), Int(t.Config.BatchSize), Int(t.Config.Seed),
            DuckDb.Text(SplitModule.describe(t.Config.Split)), DuckDb.Text(t.Config.Schedule.ToString()), Int(t.Config.Stopping.MaxEpochs),
            DuckDb.Text(TrialConfigModule.canonical(t.Config)),
        }).ToList();
        IReadOnlyList<(string, string)> columns =
        [
            ("sweep", "VARCHAR"), ("plan_index", "INTEGER"), ("trial_id", "VARCHAR"), ("dataset", "VARCHAR"), ("model", "VARCHAR"),
            ("optimizer", "VARCHAR"), ("lr", "DOUBLE"), ("batch_size", "INTEGER"), ("seed", "INTEGER"), ("split", "VARCHAR"),
            ("schedule", "VARCHAR"), ("max_epochs", "INTEGER"), ("config", "VARCHAR"),
        ];
        using var db = new DuckDb();
        ParquetPart.Write(db, "manifest", columns, rows, Path.Combine(dir, sweep + ".parquet"));
    }

    static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

}
