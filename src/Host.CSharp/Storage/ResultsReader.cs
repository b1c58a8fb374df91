namespace Lrbs.Host.Storage;

/// <summary>A results folder that cannot be read as asked: the folder or file, and why.</summary>
public sealed class ResultsException(string message) : Exception(message);

/// <summary>Reads a results folder through DuckDB views (one per table: trials, epochs, manifest,
/// class_predictions, label_predictions, box_predictions) over its Parquet parts, after checking
/// that every part reads and is of this schema version. The views read the parts as any reader
/// does (no union of differing columns): a folder is readable here exactly when it is readable
/// by polars or DuckDB alone.</summary>
public static class ResultsReader
{
    /// <summary>Where lrbs-results/2 kept every kind of prediction (lrbs-results/3 has a table per kind).</summary>
    public const string LegacyPredictions = "predictions";

    /// <summary>The committed parts of one table (temporary files excluded), in name order.</summary>
    public static string[] Parts(string folder, string table)
    {
        var dir = Path.Combine(folder, table);
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.parquet").Where(f => !Durable.IsTemp(f)).Order(StringComparer.Ordinal).ToArray()
            : [];
    }

    /// <summary>Every part of the folder with its table's folder name, older layouts' included.</summary>
    public static IReadOnlyList<(string Table, string File)> AllParts(string folder) =>
        ResultsSchema.Tables.Select(t => t.Name).Append(LegacyPredictions)
            .SelectMany(t => Parts(folder, t).Select(f => (t, f))).ToList();

    /// <summary>The parts among `files` that DuckDB cannot read, with its message.</summary>
    public static IReadOnlyList<(string File, string Why)> Unreadable(Sql db, IEnumerable<string> files)
    {
        var bad = new List<(string, string)>();
        foreach (var f in files)
        {
            try { db.Query($"SELECT count(*) FROM read_parquet({Sql.Literal(f)})"); }
            catch (StorageException e) { bad.Add((f, e.Message)); }
        }
        return bad;
    }

    /// <summary>The schema version of each part: the `schema` column of its rows, or for a part
    /// without rows its key-value metadata (written since lrbs-results/3), or 2 for an empty part
    /// with a `schema` column and no metadata (version 2 wrote none). Null: not an lrbs part (no
    /// `schema`, or a value that is no version). Rows of one part that disagree are an error.</summary>
    public static IReadOnlyDictionary<string, int?> Versions(Sql db, IReadOnlyList<string> files)
    {
        var versions = files.ToDictionary(f => f, _ => (int?)null);
        if (files.Count == 0) return versions;
        var list = "[" + string.Join(", ", files.Select(Sql.Literal)) + "]";
        var withSchema = db.Query($"SELECT DISTINCT file_name FROM parquet_schema({list}) WHERE name = 'schema'").Rows.Select(r => r[0]!).ToHashSet();
        var metadata = db.Query($"SELECT file_name, decode(value) FROM parquet_kv_metadata({list}) WHERE decode(key) = {Sql.Literal(ResultsSchema.MetadataKey)}")
            .Rows.ToDictionary(r => r[0]!, r => ResultsSchema.Number(r[1]));
        var fromRows = new Dictionary<string, string?>();
        if (withSchema.Count > 0)
        {
            var schemaList = "[" + string.Join(", ", files.Where(withSchema.Contains).Select(Sql.Literal)) + "]";
            foreach (var r in db.Query($"SELECT filename, min(schema), max(schema) FROM read_parquet({schemaList}, union_by_name = true, filename = true) GROUP BY 1").Rows)
            {
                if (r[1] != r[2]) throw new ResultsException($"{r[0]}: its rows name two schema versions, {r[1]} and {r[2]}: not a part lrbs wrote");
                fromRows[r[0]!] = r[1];
            }
        }
        foreach (var f in files)
            versions[f] = fromRows.TryGetValue(f, out var text) ? ResultsSchema.Number(text)
                : metadata.TryGetValue(f, out var m) ? m
                : withSchema.Contains(f) ? 2
                : null;
        return versions;
    }

    /// <summary>Opens an in-memory database with a view per table over the folder's parts; an
    /// older part is an error that names the command migrating it, a newer one names both versions.</summary>
    public static Sql Open(string folder)
    {
        if (!Directory.Exists(folder)) throw new ResultsException($"results folder not found: {folder}");
        if (Parts(folder, "trials").Length == 0)
            throw new ResultsException($"{folder} holds no results: there are no Parquet parts in {Path.Combine(folder, "trials")} (run a sweep into it first)");
        var db = new Sql();
        try
        {
            CheckVersions(db, folder);
            foreach (var table in ResultsSchema.Tables) CreateView(db, folder, table.Name);
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>Every part is of this lrbs's version, or the error says what to do.</summary>
    static void CheckVersions(Sql db, string folder)
    {
        var parts = AllParts(folder);
        IReadOnlyDictionary<string, int?> versions;
        try { versions = Versions(db, parts.Select(p => p.File).ToList()); }
        catch (StorageException)
        {
            var bad = Unreadable(db, parts.Select(p => p.File));
            if (bad.Count == 0) throw;
            throw new ResultsException(string.Join("; ", bad.Select(b => $"{b.File}: not a readable Parquet part ({b.Why})")));
        }
        var foreign = versions.Where(v => v.Value is null).Select(v => v.Key).Take(5).ToList();
        if (foreign.Count > 0)
            throw new ResultsException(string.Join("; ", foreign.Select(f => $"{f}: not an lrbs results part (no schema version; another tool wrote it): move it out of the folder")));
        var newer = versions.Where(v => v.Value > ResultsSchema.Current).OrderBy(v => v.Key, StringComparer.Ordinal).FirstOrDefault();
        if (newer.Key is not null)
            throw new ResultsException($"{newer.Key}: written with {ResultsSchema.Name(newer.Value!.Value)} by a newer lrbs; this lrbs reads {ResultsSchema.Version}: use a newer lrbs");
        var ancient = versions.Where(v => v.Value < ResultsSchema.Oldest).OrderBy(v => v.Key, StringComparer.Ordinal).FirstOrDefault();
        if (ancient.Key is not null)
            throw new ResultsException($"{ancient.Key}: written with {ResultsSchema.Name(ancient.Value!.Value)}, older than any this lrbs migrates ({ResultsSchema.Name(ResultsSchema.Oldest)} and later): move it out of the folder and rerun its trial");
        var older = parts.Where(p => p.Table == LegacyPredictions || versions[p.File] < ResultsSchema.Current).ToList();
        if (older.Count > 0)
        {
            var from = string.Join(", ", older.Select(p => ResultsSchema.Name(versions[p.File]!.Value)).Distinct().Order());
            throw new ResultsException($"{folder}: {older.Count} of its {parts.Count} parts are in an older results schema ({from}, e.g. {older[0].File}); " +
                $"this lrbs reads {ResultsSchema.Version}. Run `lrbs results migrate {folder}` to rewrite them in place (safe to interrupt and rerun); " +
                "`lrbs sweep run` migrates a folder before it writes to it.");
        }
    }

    static void CreateView(Sql db, string folder, string table)
    {
        var files = Parts(folder, table);
        if (files.Length == 0) return;
        var list = string.Join(", ", files.Select(Sql.Literal));
        try
        {
            db.Execute($"CREATE VIEW {table} AS SELECT * EXCLUDE (filename) FROM read_parquet([{list}], filename = true)");
            db.Execute($"CREATE VIEW {table}_files AS SELECT * FROM read_parquet([{list}], filename = true)");
            db.Query($"SELECT count(*) FROM {table}");
        }
        catch (StorageException e)
        {
            var bad = Unreadable(db, files);
            throw new ResultsException(bad.Count > 0
                ? string.Join("; ", bad.Select(b => $"{b.File}: not a readable Parquet part ({b.Why})"))
                : $"{Path.Combine(folder, table)}: cannot read the Parquet parts: {e.Message}");
        }
    }

    public static QueryResult Query(string folder, string sql)
    {
        using var db = Open(folder);
        return db.Query(sql);
    }
}
