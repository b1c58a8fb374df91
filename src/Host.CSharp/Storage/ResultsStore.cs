using System.Globalization;
using Lrbs.Core.Data;
using Lrbs.Core.Losses;
using Lrbs.Core.Schedules;
using Lrbs.Core.Training;

namespace Lrbs.Host.Storage;

/// <summary>What a results folder holds for each trial it has committed.</summary>
public sealed record CommittedTrials(IReadOnlyDictionary<string, TrialStatus> Statuses, IReadOnlyList<string> Warnings);

/// <summary>Where and how trial results are stored: OUT/trials/ID.parquet (one row) and
/// OUT/epochs/ID.parquet (one row per epoch), typed columns (<see cref="ResultsSchema"/>),
/// written by DuckDB. Each file is made durable under a temporary name and renamed into place;
/// the trial file is written last, so its rename is the commit point: a trial is finished iff
/// its trial part exists and reads.</summary>
public sealed class ResultsStore(string outDir)
{
    public string OutDir { get; } = outDir;
    public string TrialsDir => Path.Combine(OutDir, "trials");
    public string EpochsDir => Path.Combine(OutDir, "epochs");

    public string TrialPath(string id) => Path.Combine(TrialsDir, id + ".parquet");
    public string EpochsPath(string id) => Path.Combine(EpochsDir, id + ".parquet");
    public string PredictionsPath(string id) => Path.Combine(OutDir, "predictions", id + ".parquet");

    /// <summary>Writes one finished trial: epochs (and predictions) first, then the trial part (the
    /// commit). `test` is the test partition the predictions belong to.</summary>
    public void Write(string sweep, TrialResult r, string codeVersion, Dataset? test = null)
    {
        Directory.CreateDirectory(TrialsDir);
        Directory.CreateDirectory(EpochsDir);
        var id = TrialConfigModule.id(r.Config);
        var c = r.Config;
        var schema = DuckDb.Text(ResultsSchema.Version);
        var epochRows = r.Epochs.Select(e => new[]
        {
            schema, DuckDb.Text(id), Int(e.Epoch), DuckDb.Double(e.TrainLoss), DuckDb.Double(e.TrainMetric),
            DuckDb.Double(e.ValLoss?.Value), DuckDb.Double(e.ValMetric?.Value), DuckDb.Double(e.TestLoss), DuckDb.Double(e.TestMetric),
            DuckDb.Double(e.Lr), Int(e.BatchSize), Int(e.Steps), DuckDb.Double(e.Seconds), DuckDb.Double(e.TrainSeconds),
            DuckDb.Double(e.NoiseG2?.Value), DuckDb.Double(e.NoiseTrace?.Value), DuckDb.Double(e.NoiseBSimple?.Value),
        }).ToList();
        var last = r.Epochs.IsEmpty ? null : r.Epochs[^1];
        var trialRow = new[]
        {
            schema, DuckDb.Text(id), DuckDb.Text(sweep),
            DuckDb.Text(c.Dataset), DuckDb.Text(c.DataDir?.Value), Int(c.DataSeed), IntOrNull(c.Pool?.Value), DuckDb.Text(SplitModule.describe(c.Split)),
            IntOrNull(c.TrainLimit?.Value), IntOrNull(c.ImageSize?.Value), DuckDb.Text(c.Labels.IsEmpty ? null : string.Join(",", c.Labels)),
            DuckDb.Text(c.Model), DuckDb.Text(LossFormModule.name(c.LossForm)),
            DuckDb.Text(r.MetricName == "iou" ? IouFormModule.name(c.BoxLoss) : null), DuckDb.Text(c.EvalWholeBatches ? "whole" : "all"),
            DuckDb.Text(c.Optimizer), DuckDb.Double(c.Lr),
            DuckDb.Text(c.Scaling is null ? null : $"{LrScalingModule.ruleName(c.Scaling.Value.Rule)}:{c.Scaling.Value.BaseBatch}:{c.Scaling.Value.WarmupEpochs}"),
            Int(c.BatchSize), DuckDb.Text(ScheduleModule.canonical(c.Schedule)), Int(c.Stopping.MaxEpochs),
            DuckDb.Text(c.Stopping.Stabilisation is null ? null : $"{R(c.Stopping.Stabilisation.Value.Item1)}:{c.Stopping.Stabilisation.Value.Item2}"),
            DuckDb.Text(c.Stopping.EarlyStopping is null ? null : $"{c.Stopping.EarlyStopping.Value.Item1}:{R(c.Stopping.EarlyStopping.Value.Item2)}"),
            Int(c.Seed), DuckDb.Text(c.NoiseScale is null ? null : $"{c.NoiseScale.Value.Every}:{c.NoiseScale.Value.Small}:{R(c.NoiseScale.Value.Ema)}"),
            DuckDb.Text(r.Status.Name), DuckDb.Text(r.StopReason?.Value.ToString()),
            DuckDb.Text(r.Status is TrialStatus.Failed f ? f.message : null), Int(r.Epochs.Length), Int(r.Steps),
            DuckDb.Text(r.MetricName), DuckDb.Double(r.FinalTestMetric), DuckDb.Double(r.FinalTestLoss),
            DuckDb.Double(last?.ValMetric?.Value), DuckDb.Double(last?.ValLoss?.Value),
            DuckDb.Double(last?.TrainLoss), DuckDb.Double(last?.TrainMetric), DuckDb.Double(r.WallSeconds),
            DuckDb.Double(r.Epochs.Sum(e => e.TrainSeconds)),
            Int(r.ParameterCount), Int(r.TrainCount), Int(r.TestCount), Int(r.PackSize),
            DuckDb.Text(TrialConfigModule.canonical(c)), DuckDb.Text(codeVersion), DuckDb.Text(Environment.MachineName),
            $"TIMESTAMP {DuckDb.Text(DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture))}",
        };
        using var db = new DuckDb();
        ParquetPart.Write(db, "epochs", ResultsSchema.Epochs, epochRows, EpochsPath(id));
        if (r.TestOutputs is not null)
        {
            if (test is null) throw new ArgumentException("predictions need the test partition they belong to", nameof(test));
            Directory.CreateDirectory(Path.GetDirectoryName(PredictionsPath(id))!);
            var (columns, rows) = Predictions(id, r.TestOutputs.Value, test);
            ParquetPart.Write(db, "predictions", columns, rows, PredictionsPath(id));
        }
        ParquetPart.Write(db, "trials", ResultsSchema.Trials, [trialRow], TrialPath(id));
    }

    static (IReadOnlyList<(string, string)>, List<string[]>) Predictions(string id, float[] outputs, Dataset test)
    {
        var schema = DuckDb.Text(ResultsSchema.Version);
        var rows = new List<string[]>();
        switch (test.Targets)
        {
            case Targets.Classes c:
            {
                var k = c.names.Length;
                for (var i = 0; i < test.Count; i++)
                {
                    var best = Lrbs.Core.Losses.Metrics.argmaxRow(outputs, k, i);
                    rows.Add([schema, DuckDb.Text(id), Int(i), DuckDb.Text(c.names[c.labels[i]]), DuckDb.Text(c.names[best]),
                        DuckDb.Double(outputs[i * k + best]), best == c.labels[i] ? "true" : "false"]);
                }
                return (ResultsSchema.ClassPredictions, rows);
            }
            case Targets.MultiLabel m:
            {
                var k = m.names.Length;
                for (var i = 0; i < test.Count; i++)
                    for (var j = 0; j < k; j++)
                        rows.Add([schema, DuckDb.Text(id), Int(i), DuckDb.Text(m.names[j]), m.values[i * k + j] > 0.5f ? "true" : "false",
                            DuckDb.Double(outputs[i * k + j]), outputs[i * k + j] > 0.5f ? "true" : "false"]);
                return (ResultsSchema.LabelPredictions, rows);
            }
            case Targets.Boxes b:
            {
                for (var i = 0; i < test.Count; i++)
                {
                    var t = b.values[(i * 4)..(i * 4 + 4)];
                    var p = outputs[(i * 4)..(i * 4 + 4)];
                    var iou = Lrbs.Core.Losses.Metrics.boxIoU(p, t);
                    double w = t[2] - t[0], h = t[3] - t[1];
                    rows.Add([schema, DuckDb.Text(id), Int(i), .. t.Select(v => DuckDb.Double(v)), .. p.Select(v => DuckDb.Double(v)),
                        DuckDb.Double(iou), DuckDb.Double(1 - iou), DuckDb.Double(w), DuckDb.Double(h), DuckDb.Double(Math.Min(w, h)),
                        DuckDb.Text(ResultsSchema.ErrorLevel(1 - iou))]);
                }
                return (ResultsSchema.BoxPredictions, rows);
            }
            default: throw new NotSupportedException("unknown targets");
        }
    }

    /// <summary>The committed trials and their statuses. This host's orphaned temporary files are
    /// removed; a part that does not read (a crash or a broken disk left it truncated) is moved
    /// aside as *.corrupt, named in a warning, and its trial counts as not committed. A part of
    /// another schema, a status that is not one of lrbs's, or a part holding another trial's
    /// row is an error naming the file.</summary>
    public CommittedTrials Committed()
    {
        var warnings = Durable.RemoveOrphans(OutDir).Select(f => $"removed {f}, left by a process of this host that no longer runs").ToList();
        var trials = ResultsReader.Parts(OutDir, "trials");
        if (trials.Length == 0) return new CommittedTrials(new Dictionary<string, TrialStatus>(), warnings);
        using (var probe = new DuckDb())
        {
            var others = ResultsReader.Parts(OutDir, "epochs").Concat(ResultsReader.Parts(OutDir, "predictions"));
            var bad = ResultsReader.Unreadable(probe, trials).Concat(ResultsReader.Unreadable(probe, others));
            foreach (var (file, why) in bad)
            {
                var id = Path.GetFileNameWithoutExtension(file);
                foreach (var part in new[] { TrialPath(id), EpochsPath(id), PredictionsPath(id) }.Where(File.Exists))
                {
                    File.Move(part, part + ".corrupt", overwrite: true);
                    warnings.Add($"{part} does not read ({why.Split('\n')[0]}); moved aside to {Path.GetFileName(part)}.corrupt, trial {id} runs again");
                }
            }
        }
        if (ResultsReader.Parts(OutDir, "trials").Length == 0) return new CommittedTrials(new Dictionary<string, TrialStatus>(), warnings);
        using var db = ResultsReader.Open(OutDir);
        var statuses = new Dictionary<string, TrialStatus>();
        foreach (var row in db.Query("SELECT filename, trial_id, status, error FROM trials_files").Rows)
        {
            var file = row[0]!;
            if (Path.GetFileNameWithoutExtension(file) != row[1]) throw new ResultsException($"{file}: holds trial {row[1]}, not the trial its name says");
            var status = TrialStatusModule.parse(row[2] ?? "", row[3] is null ? null : Microsoft.FSharp.Core.FSharpOption<string>.Some(row[3]!));
            if (status.IsError) throw new ResultsException($"{file}: {status.ErrorValue}");
            statuses[row[1]!] = status.ResultValue;
        }
        return new CommittedTrials(statuses, warnings);
    }

    /// <summary>Writes OUT/manifest/SWEEP.parquet: one row per planned trial (plan index, id and
    /// config), so tools can tell planned from committed. Shards write identical content.</summary>
    public void WriteManifest(string sweep, IEnumerable<(int Index, string Id, TrialConfig Config)> trials)
    {
        var dir = Path.Combine(OutDir, "manifest");
        Directory.CreateDirectory(dir);
        var rows = trials.Select(t => new[]
        {
            DuckDb.Text(ResultsSchema.Version), DuckDb.Text(sweep), Int(t.Index), DuckDb.Text(t.Id), DuckDb.Text(t.Config.Dataset),
            DuckDb.Text(t.Config.Model), DuckDb.Text(t.Config.Optimizer), DuckDb.Double(t.Config.Lr), Int(t.Config.BatchSize),
            Int(t.Config.Seed), DuckDb.Text(SplitModule.describe(t.Config.Split)), DuckDb.Text(ScheduleModule.canonical(t.Config.Schedule)),
            Int(t.Config.Stopping.MaxEpochs), DuckDb.Text(TrialConfigModule.canonical(t.Config)),
        }).ToList();
        using var db = new DuckDb();
        ParquetPart.Write(db, "manifest", ResultsSchema.Manifest, rows, Path.Combine(dir, sweep + ".parquet"));
    }

    static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);
    static string IntOrNull(int? v) => v is int i ? i.ToString(CultureInfo.InvariantCulture) : "NULL";
    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
