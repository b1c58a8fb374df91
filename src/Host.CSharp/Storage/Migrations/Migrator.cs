namespace Lrbs.Host.Storage.Migrations;

/// <summary>What a migration of a folder did: parts rewritten, parts already current, warnings
/// of the recovery that ran first.</summary>
public sealed record MigrationReport(int Migrated, int AlreadyCurrent, IReadOnlyList<string> Warnings);

/// <summary>Rewrites a results folder's older parts in the current schema, part by part, each with
/// the durability of a commit (temporary name, fsync, rename, folder fsync): a part is either its
/// old self or its whole new self, so the migration is safe to kill at any moment and idempotent
/// (a rerun migrates what is left; a part moved to another table is written there before the old
/// file is removed, and a rerun that finds both rewrites the new one from the old). Parts from a
/// newer lrbs and parts that are not lrbs's are refused before anything is touched.</summary>
public static class Migrator
{
    /// <summary>Migrates `folder`; `progress` hears (parts done, parts to migrate).</summary>
    public static MigrationReport Run(string folder, Action<int, int>? progress = null)
    {
        if (!Directory.Exists(folder)) throw new ResultsException($"results folder not found: {folder}");
        var warnings = new ResultsStore(folder).Recover();
        var parts = ResultsReader.AllParts(folder);
        using var db = new Sql();
        var versions = ResultsReader.Versions(db, parts.Select(p => p.File).ToList());
        foreach (var (_, file) in parts)
        {
            if (versions[file] is not { } v)
                throw new ResultsException($"{file}: not an lrbs results part (no schema version; another tool wrote it): move it out of the folder, then migrate");
            if (v < ResultsSchema.Oldest)
                throw new ResultsException($"{file}: written with {ResultsSchema.Name(v)}, older than any this lrbs migrates ({ResultsSchema.Name(ResultsSchema.Oldest)} and later): move it out of the folder and rerun its trial");
            if (v > ResultsSchema.Current)
                throw new ResultsException($"{file}: written with {ResultsSchema.Name(v)} by a newer lrbs; this lrbs reads {ResultsSchema.Version}: use a newer lrbs");
        }
        var old = parts.Where(p => p.Table == ResultsReader.LegacyPredictions || versions[p.File] < ResultsSchema.Current).ToList();
        var context = new FolderContext(folder, db);
        for (var i = 0; i < old.Count; i++)
        {
            MigratePart(db, folder, old[i].Table, old[i].File, versions[old[i].File]!.Value, context);
            progress?.Invoke(i + 1, old.Count);
        }
        var legacy = Path.Combine(folder, ResultsReader.LegacyPredictions);
        if (Directory.Exists(legacy) && !Directory.EnumerateFileSystemEntries(legacy).Any()) Directory.Delete(legacy);
        return new MigrationReport(old.Count, parts.Count - old.Count, warnings);
    }

    /// <summary>Whether any part of `folder` is older than this lrbs's schema.</summary>
    public static bool Needed(string folder)
    {
        var parts = ResultsReader.AllParts(folder);
        if (parts.Count == 0) return false;
        if (parts.Any(p => p.Table == ResultsReader.LegacyPredictions)) return true;
        using var db = new Sql();
        return ResultsReader.Versions(db, parts.Select(p => p.File).ToList()).Values.Any(v => v < ResultsSchema.Current);
    }

    static void MigratePart(Sql db, string folder, string table, string file, int version, IMigrationContext context)
    {
        var part = Read(db, table, file);
        PartRows current;
        List<object> records;
        try
        {
            current = RowMigrations.ToCurrent(part, version, context);
            var target = ResultsSchema.Table(current.Table);
            records = current.Rows.Select(r => RowMap.ToRecord(target, r)).ToList();
        }
        catch (MigrationException e) { throw new ResultsException($"{file}: {e.Message}"); }
        var to = ResultsSchema.Table(current.Table);
        var destination = Path.Combine(folder, to.Name, Path.GetFileName(file));
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        ParquetPart.WriteRecords(to, records, destination);
        if (Path.GetFullPath(destination) != Path.GetFullPath(file))
        {
            File.Delete(file);
            Durable.SyncFolder(Path.GetDirectoryName(Path.GetFullPath(file))!);
        }
    }

    /// <summary>A part's columns and rows as they are stored.</summary>
    public static PartRows Read(Sql db, string table, string file)
    {
        var source = $"read_parquet({Sql.Literal(file)})";
        var columns = db.Query($"SELECT column_name FROM (DESCRIBE SELECT * FROM {source})").Rows.Select(r => r[0]!).ToList();
        return new PartRows(table, columns, db.Dicts($"SELECT * FROM {source}"));
    }

    /// <summary>What a folder's migration knows beyond a part: its trials' epoch parts, and the
    /// chance level of a trial's test rows, computed from its data as the trainer computes it
    /// (Trainer.testRows, Collapse.chance) once per data key; null where the data cannot be read.</summary>
    sealed class FolderContext(string folder, Sql db) : IMigrationContext
    {
        readonly Dictionary<string, double?> _chance = new();

        public IReadOnlyList<IReadOnlyDictionary<string, object?>> Epochs(string trialId)
        {
            var path = Path.Combine(folder, "epochs", trialId + ".parquet");
            return File.Exists(path) ? db.Dicts($"SELECT epoch, train_loss FROM read_parquet({Sql.Literal(path)})") : [];
        }

        public double? Chance(IReadOnlyDictionary<string, object?> trial)
        {
            string? Text(string key) => trial.TryGetValue(key, out var v) && v is not null ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;
            var keys = new[] { "dataset", "data_dir", "data_seed", "pool", "split", "train_limit", "image_size", "labels", "eval_batches", "batch_size" };
            var fields = keys.Select(k => (Key: k, Value: Text(k))).Where(f => f.Value is { Length: > 0 }).ToList();
            var key = string.Join("|", fields.Select(f => $"{f.Key}={f.Value}"));
            if (_chance.TryGetValue(key, out var known)) return known;
            double? chance = null;
            try
            {
                var c = Lrbs.Core.Training.Collapse.chance(Trials.TestRows(Trials.Build(fields.Select(f => (f.Key, f.Value!)))));
                chance = double.IsFinite(c) ? c : null;
            }
            catch (ConfigException) { } // an old row whose data no longer loads has no chance level: the column stays empty
            return _chance[key] = chance;
        }
    }
}
