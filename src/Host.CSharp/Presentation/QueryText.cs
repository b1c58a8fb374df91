using System.Text.Encodings.Web;
using Spectre.Console;

namespace Lrbs.Host.Presentation;

/// <summary>A query's answer as `lrbs results query` prints it: a table, one column per line
/// (psql's expanded display), CSV (RFC 4180, NULL as an empty field) or JSON (an array of objects
/// with typed values).</summary>
public static class QueryText
{
    /// <summary>Rows wider than this many characters are shown one column per line.</summary>
    public const int WideAt = 160;

    /// <summary>The width the table would take: each column's widest cell, plus separators.</summary>
    public static int Width(QueryResult r) =>
        r.Columns.Select((c, i) => Math.Max(c.Length, r.Rows.Select(row => (row[i] ?? "NULL").Length).DefaultIfEmpty(0).Max()) + 3).Sum();

    public static void Table(QueryResult r, TextWriter output)
    {
        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in r.Columns) table.AddColumn(Markup.Escape(c));
        foreach (var row in r.Rows) table.AddRow(row.Select(v => Markup.Escape(v ?? "NULL")).ToArray());
        Consoles.For(output).Write(table);
        output.WriteLine($"{r.Rows.Count} rows");
    }

    public static void Vertical(QueryResult r, TextWriter output)
    {
        var width = r.Columns.Select(c => c.Length).DefaultIfEmpty(0).Max();
        for (var k = 0; k < r.Rows.Count; k++)
        {
            output.WriteLine($"-[ row {k + 1} ]" + new string('-', Math.Max(0, width - 6)));
            for (var i = 0; i < r.Columns.Count; i++)
                output.WriteLine($"{r.Columns[i].PadRight(width)} | {(r.Rows[k][i] ?? "NULL").Replace("\n", "\n" + new string(' ', width) + " | ")}");
        }
        output.WriteLine($"{r.Rows.Count} rows");
    }

    public static void Csv(QueryResult r, TextWriter output)
    {
        static string Cell(string? v) => v is null ? "" : v.IndexOfAny([',', '"', '\n', '\r']) >= 0 || v.Length == 0 ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
        output.WriteLine(string.Join(",", r.Columns.Select(Cell)));
        foreach (var row in r.Rows) output.WriteLine(string.Join(",", row.Select(Cell)));
    }

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Json(IReadOnlyList<IReadOnlyDictionary<string, object?>> rows, TextWriter output) =>
        output.WriteLine(JsonSerializer.Serialize(rows.Select(r => r.ToDictionary(kv => kv.Key, kv => Value(kv.Value))), Options));

    /// <summary>A cell as JSON: numbers as numbers (not finite: null), times as ISO 8601 UTC.</summary>
    static object? Value(object? v) => v switch
    {
        double d when !double.IsFinite(d) => null,
        float f when !float.IsFinite(f) => null,
        DateTime t => t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        System.Numerics.BigInteger b => b.ToString(CultureInfo.InvariantCulture),
        _ => v,
    };
}
