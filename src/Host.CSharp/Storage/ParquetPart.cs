using System.Text;

namespace Lrbs.Host.Storage;

/// <summary>One Parquet file written atomically: rows go into a typed DuckDB table, DuckDB
/// copies it to a temporary file beside the target, and a rename puts it in place.</summary>
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
        var temp = Path.Combine(Path.GetDirectoryName(finalPath)!, $".tmp-{Path.GetFileNameWithoutExtension(finalPath)}-{Guid.NewGuid():N}.parquet");
        try
        {
            db.Execute($"COPY {table} TO {DuckDb.Text(temp)} (FORMAT parquet)");
            File.Move(temp, finalPath, overwrite: true); // rename(2): readers see the old file or the whole new one
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
