namespace Lrbs.Host.Storage;

/// <summary>A results folder that cannot be read as asked: the folder or file, and why.</summary>
public sealed class ResultsException(string message) : Exception(message);

/// <summary>Reads a results folder through DuckDB views (trials, epochs, manifest) over its
/// Parquet parts, after checking that every part is readable and of this schema.</summary>
public static class ResultsReader
{
    static readonly string[] Tables = ["trials", "epochs", "manifest", "predictions"];

    /// <summary>The committed parts of one table (temporary files excluded), in name order.</summary>
    public static string[] Parts(string folder, string table)
    {
        var dir = Path.Combine(folder, table);
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.parquet").Where(f => !Durable.IsTemp(f)).Order(StringComparer.Ordinal).ToArray()
            : [];
    }

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

    /// <summary>Opens an in-memory database with a view per table over the folder's parts.</summary>
    public static Sql Open(string folder)
    {
        if (!Directory.Exists(folder)) throw new ResultsException($"results folder not found: {folder}");
        if (Parts(folder, "trials").Length == 0)
            throw new ResultsException($"{folder} holds no results: there are no Parquet parts in {Path.Combine(folder, "trials")} (run a sweep into it first)");
        var db = new Sql();
        try
        {
            foreach (var table in Tables) CreateView(db, folder, table);
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    static void CreateView(Sql db, string folder, string table)
    {
        var files = Parts(folder, table);
        if (files.Length == 0) return;
        var list = string.Join(", ", files.Select(Sql.Literal));
        try
        {
            db.Execute($"CREATE VIEW {table} AS SELECT * EXCLUDE (filename) FROM read_parquet([{list}], union_by_name = true, filename = true)");
            db.Execute($"CREATE VIEW {table}_files AS SELECT * FROM read_parquet([{list}], union_by_name = true, filename = true)");
            db.Query($"SELECT count(*) FROM {table}");
        }
        catch (StorageException e)
        {
            var bad = Unreadable(db, files);
            throw new ResultsException(bad.Count > 0
                ? string.Join("; ", bad.Select(b => $"{b.File}: not a readable Parquet part ({b.Why})"))
                : $"{Path.Combine(folder, table)}: cannot read the Parquet parts: {e.Message}");
        }
        var columns = db.Query($"SELECT column_name FROM (DESCRIBE {table})").Rows.Select(r => r[0]).ToHashSet();
        var foreign = columns.Contains("schema")
            ? db.Query($"SELECT DISTINCT filename, coalesce(schema, '(none)') FROM {table}_files WHERE schema IS DISTINCT FROM {Sql.Literal(ResultsSchema.Version)} ORDER BY 1 LIMIT 5").Rows
            : files.Take(5).Select(f => new string?[] { f, "(none)" }).ToList();
        if (foreign.Count > 0)
            throw new ResultsException(string.Join("; ", foreign.Select(r =>
                $"{r[0]}: written with schema {r[1]}, this lrbs reads {ResultsSchema.Version} (an older lrbs or another tool wrote it; move it out or rerun its trials)")));
    }

    public static QueryResult Query(string folder, string sql)
    {
        using var db = Open(folder);
        return db.Query(sql);
    }
}
