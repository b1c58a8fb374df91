using System.Text;

namespace Lrbs.Host.Storage;

/// <summary>The file formats of an export.</summary>
public enum ExportFormat { Parquet, Csv }

/// <summary>A results folder as one file per table, to hand to a colleague: every part of a table
/// in one file, rows ordered by the table's key (<see cref="ResultsTable.Key"/>). A Parquet file
/// carries in its key-value metadata the schema version (`lrbs.schema`), the lrbs version that
/// exported it (`lrbs.version`), the table (`lrbs.table`) and a line per column
/// (`lrbs.column.NAME`: type, unit, nullability and meaning, as docs/results.md). The same folder
/// exports to the same bytes. The files appear together or not at all: they are written into a
/// temporary folder beside the target, which is renamed into place.</summary>
public static class Exporter
{
    /// <summary>Exports `folder` into the folder `target`; returns the files written.</summary>
    public static IReadOnlyList<string> Run(string folder, string target, ExportFormat format, bool force, string lrbsVersion)
    {
        if ((File.Exists(target) || Directory.Exists(target)) && !force)
            throw new ResultsException($"--out: {target} exists; choose another path or add --force to replace it");
        if (File.Exists(target)) throw new ResultsException($"--out: {target} is a file; an export is a folder of one file per table");
        using var db = ResultsReader.Open(folder);
        var full = Path.GetFullPath(target);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var staging = Durable.TempPath(full);
        Directory.CreateDirectory(staging);
        try
        {
            var written = new List<string>();
            foreach (var table in ResultsSchema.Tables.Where(t => ResultsReader.Parts(folder, t.Name).Length > 0))
            {
                var records = db.Records(table.Row, $"SELECT * FROM {table.Name} ORDER BY {table.Key}");
                var name = table.Name + (format == ExportFormat.Parquet ? ".parquet" : ".csv");
                var path = Path.Combine(staging, name);
                if (format == ExportFormat.Parquet) ParquetPart.WriteRecords(table, records, path, Metadata(table, lrbsVersion));
                else WriteCsv(table, records, path);
                written.Add(Path.Combine(full, name));
            }
            Durable.SyncFolder(staging);
            Replace(staging, full);
            return written;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The key-value metadata of a table's exported Parquet file.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(ResultsTable table, string lrbsVersion)
    {
        var m = new Dictionary<string, string>(ParquetPart.SchemaMetadata) { ["lrbs.version"] = lrbsVersion, ["lrbs.table"] = table.Name };
        foreach (var c in table.Columns) m["lrbs.column." + c.Name] = SchemaDoc.Line(c);
        return m;
    }

    /// <summary>Puts the staged folder at `target`, replacing what is there (a --force export).</summary>
    static void Replace(string staging, string target)
    {
        string? old = null;
        if (Directory.Exists(target))
        {
            old = Durable.TempPath(target);
            Directory.Move(target, old);
        }
        Directory.Move(staging, target);
        Durable.SyncFolder(Path.GetDirectoryName(target)!);
        if (old is not null) Directory.Delete(old, recursive: true);
    }

    /// <summary>RFC 4180 CSV: a header of column names; text always quoted (quotes doubled); NULL as
    /// an empty unquoted field (NA in R, NaN in pandas); numbers in round-trip form; booleans true or
    /// false; times ISO 8601 in UTC with microseconds (2026-12-06T23:22:23.123456Z).</summary>
    static void WriteCsv(ResultsTable table, IReadOnlyList<object> records, string path)
    {
        var columns = table.Columns;
        var text = new StringBuilder();
        text.Append(string.Join(",", columns.Select(c => c.Name))).Append('\n');
        foreach (var r in records)
            text.Append(string.Join(",", columns.Select(c => Cell(c.Property.GetValue(r), c.Timestamp)))).Append('\n');
        using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            var bytes = new UTF8Encoding(false).GetBytes(text.ToString());
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
    }

    static string Cell(object? v, bool timestamp) => v switch
    {
        null => "",
        string s => "\"" + s.Replace("\"", "\"\"") + "\"",
        long micros when timestamp => Micros.Text(micros),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new NotSupportedException($"no CSV form for {v.GetType().Name}"),
    };
}
