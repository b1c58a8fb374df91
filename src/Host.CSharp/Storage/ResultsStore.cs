using Lrbs.Core.Data;

namespace Lrbs.Host.Storage;

/// <summary>What a results folder holds for each trial it has committed.</summary>
public sealed record CommittedTrials(IReadOnlyDictionary<string, TrialStatus> Statuses, IReadOnlyList<string> Warnings);

/// <summary>Where and how trial results are stored: OUT/trials/ID.parquet (one row) and
/// OUT/epochs/ID.parquet (one row per epoch), typed columns (<see cref="TrialRow"/>, <see cref="EpochRow"/>),
/// written by Parquet.Net. Each file is made durable under a temporary name and renamed into place;
/// the trial file is written last, so its rename is the commit point: a trial is finished iff
/// its trial part exists and reads.</summary>
public sealed class ResultsStore(string outDir)
{
    public string OutDir { get; } = outDir;
    public string TrialsDir => Path.Combine(OutDir, "trials");
    public string EpochsDir => Path.Combine(OutDir, "epochs");

    public string TrialPath(string id) => Path.Combine(TrialsDir, id + ".parquet");
    public string EpochsPath(string id) => Path.Combine(EpochsDir, id + ".parquet");
    /// <summary>Where a trial's predictions go: the prediction table of its kind of target.</summary>
    public string PredictionsPath(ResultsTable table, string id) => Path.Combine(OutDir, table.Name, id + ".parquet");

    /// <summary>Every prediction part a trial may have (one table per kind, and the older layout's folder).</summary>
    IEnumerable<string> PredictionPaths(string id) =>
        ResultsSchema.PredictionTables.Select(t => t.Name).Append(ResultsReader.LegacyPredictions).Select(t => Path.Combine(OutDir, t, id + ".parquet"));

    /// <summary>Writes one finished trial: epochs (and predictions) first, then the trial part (the
    /// commit), then removes its checkpoint. `test` is the test partition the predictions belong to.</summary>
    public void Write(string sweep, TrialResult r, string codeVersion, Dataset? test = null)
    {
        Directory.CreateDirectory(TrialsDir);
        Directory.CreateDirectory(EpochsDir);
        var id = TrialConfigModule.id(r.Config);
        var recorded = Recorded.Trial(r);
        ParquetPart.Write(ResultsSchema.Epochs, recorded.Epochs.Select(e => EpochRow.Of(id, e)).ToList(), EpochsPath(id));
        if (recorded.TestOutputs is { } outputs)
        {
            if (test is null) throw new ArgumentException("predictions need the test partition they belong to", nameof(test));
            var table = PredictionRows.TableFor(test.Targets);
            Directory.CreateDirectory(Path.Combine(OutDir, table.Name));
            PredictionRows.Write(id, outputs, test, PredictionsPath(table, id));
        }
        ParquetPart.Write(ResultsSchema.Trials, [TrialRow.Of(sweep, r, recorded, codeVersion, DateTime.UtcNow)], TrialPath(id));
        CheckpointStore.DeleteIn(OutDir, id); // committed: its mid-way state is not needed any more
    }

    /// <summary>Makes the folder safe to read: this host's orphaned temporary files are removed; a
    /// part that does not read (a crash or a broken disk left it truncated) is moved aside as
    /// *.corrupt with the other parts of its trial, and its trial counts as not committed. Returns
    /// a warning for each.</summary>
    public List<string> Recover()
    {
        var warnings = Durable.RemoveOrphans(OutDir).Select(f => $"removed {f}, left by a process of this host that no longer runs").ToList();
        var trials = ResultsReader.Parts(OutDir, "trials");
        if (trials.Length == 0) return warnings;
        using var probe = new Sql();
        var others = ResultsReader.AllParts(OutDir).Where(p => p.Table is not "trials" and not "manifest").Select(p => p.File);
        var bad = ResultsReader.Unreadable(probe, trials).Concat(ResultsReader.Unreadable(probe, others));
        foreach (var (file, why) in bad)
        {
            var id = Path.GetFileNameWithoutExtension(file);
            foreach (var part in new[] { TrialPath(id), EpochsPath(id) }.Concat(PredictionPaths(id)).Where(File.Exists))
            {
                File.Move(part, part + ".corrupt", overwrite: true);
                warnings.Add($"{part} does not read ({why.Split('\n')[0]}); moved aside to {Path.GetFileName(part)}.corrupt, trial {id} runs again");
            }
        }
        return warnings;
    }

    /// <summary>The committed trials and their statuses, after <see cref="Recover"/>. A part of
    /// another schema, a status that is not one of lrbs's, or a part holding another trial's
    /// row is an error naming the file.</summary>
    public CommittedTrials Committed()
    {
        var warnings = Recover();
        if (ResultsReader.Parts(OutDir, "trials").Length == 0) return new CommittedTrials(new Dictionary<string, TrialStatus>(), warnings);
        using var db = ResultsReader.Open(OutDir);
        var statuses = new Dictionary<string, TrialStatus>();
        foreach (var row in db.Rows<CommittedPart>("SELECT filename, trial_id, status, error FROM trials_files"))
        {
            if (Path.GetFileNameWithoutExtension(row.File) != row.Id) throw new ResultsException($"{row.File}: holds trial {row.Id}, not the trial its name says");
            try { statuses[row.Id] = Stored.Status(row.Status, row.Error!); }
            catch (FormatException e) { throw new ResultsException($"{row.File}: {e.Message}"); }
        }
        return new CommittedTrials(statuses, warnings);
    }

    /// <summary>What a learning-rate search reads of each committed trial (LrBracket.outcomeOf):
    /// its score and noise, from its trial part and the spread of its last 5 epochs' test metric.</summary>
    public IReadOnlyDictionary<string, Lrbs.Core.Planning.LrBracket.Outcome> Outcomes()
    {
        var outcomes = new Dictionary<string, Lrbs.Core.Planning.LrBracket.Outcome>();
        if (ResultsReader.Parts(OutDir, "trials").Length == 0) return outcomes;
        using var db = ResultsReader.Open(OutDir);
        var spread = ResultsReader.Parts(OutDir, "epochs").Length == 0
            ? "(SELECT NULL::VARCHAR AS trial_id, NULL::DOUBLE AS spread)"
            : "(SELECT trial_id, stddev_samp(test_metric) AS spread FROM (SELECT trial_id, test_metric, " +
              "row_number() OVER (PARTITION BY trial_id ORDER BY epoch DESC) AS k FROM epochs) WHERE k <= 5 GROUP BY trial_id)";
        foreach (var row in db.Rows<OutcomePart>($"SELECT t.trial_id, t.status, t.collapsed, t.metric, t.test_metric, t.test_rows, s.spread FROM trials t LEFT JOIN {spread} s USING (trial_id)"))
            outcomes[row.Id] = Stored.Outcome(row.Status is "ok" or "stopped_early" && row.Collapsed != true, row.Metric, row.TestMetric, row.TestRows, row.Spread ?? double.NaN);
        return outcomes;
    }

    /// <summary>Writes OUT/manifest/SWEEP.parquet: one row per planned trial (plan index, id and
    /// config), so tools can tell planned from committed. Shards write identical content.</summary>
    public void WriteManifest(string sweep, IEnumerable<(int Index, string Id, TrialConfig Config)> trials, string? search = null, string? branchSettings = null)
    {
        var dir = Path.Combine(OutDir, "manifest");
        Directory.CreateDirectory(dir);
        ParquetPart.Write(ResultsSchema.Manifest, trials.Select(t => ManifestRow.Of(sweep, t.Index, t.Config, search, branchSettings)).ToList(), Path.Combine(dir, sweep + ".parquet"));
    }
}

/// <summary>The columns resume reads from each trial part: its file, id and status.</summary>
sealed class CommittedPart
{
    [JsonPropertyName("filename")] public string File { get; set; } = "";
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("error")] public string? Error { get; set; }
}

/// <summary>The columns a learning-rate search reads of each committed trial.</summary>
sealed class OutcomePart
{
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [JsonPropertyName("status")] public string Status { get; set; } = "";
    [JsonPropertyName("collapsed")] public bool? Collapsed { get; set; }
    [JsonPropertyName("metric")] public string Metric { get; set; } = "";
    [JsonPropertyName("test_metric")] public double? TestMetric { get; set; }
    [JsonPropertyName("test_rows")] public int TestRows { get; set; }
    [JsonPropertyName("spread")] public double? Spread { get; set; }
}
