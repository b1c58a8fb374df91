using System.Text;

namespace Lrbs.Host.Storage;

/// <summary>One Parquet file written atomically and durably: rows go into a typed DuckDB table,
/// DuckDB copies it to a temporary file beside the target, and <see cref="Durable.Publish"/>
/// puts it in place.</summary>
public static class ParquetPart
{
    public static void Write(DuckDb db, string table, IReadOnlyList<(string Name, string Type)> columns, IReadOnlyList<string[]> rows, string finalPath)
    {
        db.Execute($"CREATE OR REPLACE TABLE {table} ({string.Join(", ", columns.Select(c => $"\"{c.Name}\" {c.Type}"))})");
        if (rows.Count > 0)
        {
            var sql = new StringBuilder($"INSERT INTO {table} VALUES ");
            sql.AppendJoin(", ", rows.Select(r => "(" + string.Join(", ", r) + ")"));
            db.Execute(sql.ToString());
        }
        var temp = Durable.TempPath(finalPath);
        try
        {
            db.Execute($"COPY {table} TO {DuckDb.Text(temp)} (FORMAT parquet)");
            Durable.Publish(temp, finalPath);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
