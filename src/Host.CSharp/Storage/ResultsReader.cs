namespace Lrbs.Host.Storage;

/// <summary>Reads a results folder through DuckDB views over its Parquet parts.</summary>
public static class ResultsReader
{
    public static QueryResult Query(string folder, string sql)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"results folder not found: {folder}");
        using var db = new DuckDb();
        foreach (var table in new[] { "trials", "epochs", "manifest" })
        {
            var parts = Path.Combine(folder, table);
            var files = Directory.Exists(parts) ? Directory.GetFiles(parts, "*.parquet").Where(f => !Path.GetFileName(f).StartsWith(".tmp-")).ToArray() : [];
            if (files.Length == 0) continue;
            // Name every part explicitly (temporary files excluded) so a corrupt one is reported by name.
            var list = string.Join(", ", files.Order().Select(DuckDb.Text));
            try
            {
                db.Execute($"CREATE VIEW {table} AS SELECT * FROM read_parquet([{list}], union_by_name = true)");
                db.Query($"SELECT count(*) FROM {table}");
            }
            catch (StorageException e)
            {
                throw new StorageException($"{parts}: cannot read the Parquet parts: {e.Message}");
            }
        }
        return db.Query(sql);
    }
}
