using System.Globalization;
using Lrbs.Host.Storage;

namespace Lrbs.Host.Report;

/// <summary>One trial as the report needs it.</summary>
public sealed record TrialRow(
    string Id, string Dataset, string Model, string Optimizer, string Schedule, string Split, int? Pool, string CrossEntropy,
    double Lr, int BatchSize, int Seed, string Status, string? StopReason, string? Error, int Epochs, long Steps,
    string Metric, double? TestMetric, double? TestLoss, double? ValLoss, double? FinalTrainLoss, double WallSeconds,
    double TrainSeconds, int TestRows, int PackSize, string CodeVersion, string Machine)
{
    public bool Finished => Status is "ok" or "stopped_early";
    /// <summary>The slice of the study a trial belongs to: one grid per (dataset, model, optimizer).</summary>
    public string Group => $"{Dataset} / {Model} / {Optimizer}";
}

/// <summary>One epoch of one trial.</summary>
public sealed record EpochRow(string Id, int Epoch, double TrainLoss, double TrainMetric, double? ValLoss, double? ValMetric,
    double TestLoss, double TestMetric, double Lr, int BatchSize, int Steps, double TrainSeconds, double? GnsBSimple, double? GnsG2, double? GnsTrace);

/// <summary>Everything the report reads from a results folder, through DuckDB over its Parquet parts.</summary>
public sealed record ReportData(string Folder, IReadOnlyList<TrialRow> Trials, IReadOnlyList<EpochRow> Epochs,
    IReadOnlyDictionary<string, int> Parts, bool HasPredictions)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    static double? D(string? s) => s is null ? null : double.Parse(s, Inv);
    static int? I(string? s) => s is null ? null : int.Parse(s, Inv);

    public static ReportData Load(string folder)
    {
        using var db = ResultsReader.Open(folder);
        var trials = db.Query("""
            SELECT trial_id, dataset, model, optimizer, schedule, split, pool, cross_entropy, lr, batch_size, seed, status,
                   stop_reason, error, epochs, steps, metric, test_metric, test_loss, val_loss, final_train_loss, wall_seconds,
                   train_seconds, test_rows, pack_size, code_version, machine
            FROM trials ORDER BY dataset, model, optimizer, schedule, batch_size, lr, seed, trial_id
            """).Rows.Select(r => new TrialRow(r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, I(r[6]), r[7]!, D(r[8])!.Value, I(r[9])!.Value,
                I(r[10])!.Value, r[11]!, r[12], r[13], I(r[14])!.Value, long.Parse(r[15]!, Inv), r[16]!, D(r[17]), D(r[18]), D(r[19]), D(r[20]),
                D(r[21])!.Value, D(r[22]) ?? 0, I(r[23])!.Value, I(r[24]) ?? 1, r[25]!, r[26]!)).ToList();
        var epochs = db.Query("""
            SELECT trial_id, epoch, train_loss, train_metric, val_loss, val_metric, test_loss, test_metric, lr, batch_size, steps,
                   train_seconds, gns_b_simple, gns_g2, gns_trace
            FROM epochs ORDER BY trial_id, epoch
            """).Rows.Select(r => new EpochRow(r[0]!, I(r[1])!.Value, D(r[2]) ?? double.NaN, D(r[3]) ?? double.NaN, D(r[4]), D(r[5]),
                D(r[6]) ?? double.NaN, D(r[7]) ?? double.NaN, D(r[8])!.Value, I(r[9])!.Value, I(r[10])!.Value, D(r[11]) ?? 0, D(r[12]), D(r[13]), D(r[14]))).ToList();
        var parts = new[] { "trials", "epochs", "predictions", "manifest" }.ToDictionary(t => t, t => ResultsReader.Parts(folder, t).Length);
        return new ReportData(folder, trials, epochs, parts, parts["predictions"] > 0);
    }

    /// <summary>A query over the folder's views (for the predictions-based sections).</summary>
    public QueryResult Query(string sql)
    {
        using var db = ResultsReader.Open(Folder);
        return db.Query(sql);
    }

    public static double Num(string? s) => s is null ? double.NaN : double.Parse(s, Inv);
}
