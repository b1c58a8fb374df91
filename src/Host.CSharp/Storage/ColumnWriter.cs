using System.Collections;
using System.Reflection;
using Parquet;
using Parquet.Meta;
using Parquet.Schema;

namespace Lrbs.Host.Storage;

/// <summary>Writes row records as one Parquet row group through Parquet.Net's column API: one
/// DataField per column of the record's mapping (<see cref="Columns"/>), each column's values
/// taken from the records once.
///
/// Times: a column marked as a time holds microseconds since the epoch in a long and is written as
/// INT64 annotated TIMESTAMP(MICROS, isAdjustedToUTC). Parquet.Net 6.1.0 cannot do that itself: a
/// DateTime column in microseconds gets min/max statistics in milliseconds
/// (ParquetPlainEncoder.TryEncode(DateTime) always calls ToUnixMilliseconds;
/// aloneguid/parquet-dotnet#769, open), and DuckDB then answers a one-row part's time from the
/// statistics: a thousandth of it. A long column's statistics are its own numbers, so the column is
/// written as a long and its schema element, before any data is written, is given the timestamp
/// annotation (<see cref="AnnotateTimes"/>). A test checks the annotation and the statistics of a
/// written part, so a Parquet.Net upgrade that changes this fails there, not in a user's reader.</summary>
static class ColumnWriter
{
    public static async Task WriteAsync(System.Type row, IList records, Stream output, IReadOnlyDictionary<string, string>? metadata)
    {
        var columns = Columns.Of(row);
        var fields = columns.Select(c => new DataField(c.Name, c.Type, c.Nullable)).ToArray();
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), output);
        if (metadata is not null) writer.CustomMetadata = metadata.ToDictionary(kv => kv.Key, kv => kv.Value);
        AnnotateTimes(writer, columns.Where(c => c.Timestamp).Select(c => c.Name).ToHashSet());
        if (records.Count == 0) return;
        using var group = writer.CreateRowGroup();
        for (var i = 0; i < columns.Count; i++) await WriteColumn(group, fields[i], columns[i], records);
    }

    static async Task WriteColumn(ParquetRowGroupWriter group, DataField field, Column c, IList records)
    {
        T[] Values<T>() { var a = new T[records.Count]; for (var i = 0; i < a.Length; i++) a[i] = (T)c.Property.GetValue(records[i])!; return a; }
        T?[] Nullables<T>() where T : struct { var a = new T?[records.Count]; for (var i = 0; i < a.Length; i++) a[i] = (T?)c.Property.GetValue(records[i]); return a; }
        switch (c.Type)
        {
            case var t when t == typeof(string): await group.WriteAsync(field, Values<string?>()); break;
            case var t when t == typeof(int): await (c.Nullable ? group.WriteAsync<int>(field, Nullables<int>()) : group.WriteAsync<int>(field, Values<int>())); break;
            case var t when t == typeof(long): await (c.Nullable ? group.WriteAsync<long>(field, Nullables<long>()) : group.WriteAsync<long>(field, Values<long>())); break;
            case var t when t == typeof(double): await (c.Nullable ? group.WriteAsync<double>(field, Nullables<double>()) : group.WriteAsync<double>(field, Values<double>())); break;
            case var t when t == typeof(bool): await (c.Nullable ? group.WriteAsync<bool>(field, Nullables<bool>()) : group.WriteAsync<bool>(field, Values<bool>())); break;
            default: throw new NotSupportedException($"{c.Property.DeclaringType?.Name}.{c.Property.Name}: no Parquet column for {c.Type.Name}");
        }
    }

    static readonly FieldInfo Footer = typeof(ParquetWriter).GetField("_footer", BindingFlags.NonPublic | BindingFlags.Instance)
        ?? throw new InvalidOperationException("Parquet.Net's ParquetWriter has no _footer any more: see ColumnWriter's comment");

    /// <summary>Gives the schema elements of `names` (INT64 columns) the annotation
    /// TIMESTAMP(MICROS, isAdjustedToUTC = true), with the matching legacy converted type.</summary>
    static void AnnotateTimes(ParquetWriter writer, IReadOnlySet<string> names)
    {
        if (names.Count == 0) return;
        var footer = Footer.GetValue(writer) ?? throw new InvalidOperationException("Parquet.Net's writer has no footer yet");
        var meta = footer.GetType().GetField("_fileMeta", BindingFlags.NonPublic | BindingFlags.Instance)?.GetValue(footer) as FileMetaData
            ?? throw new InvalidOperationException("Parquet.Net's footer has no _fileMeta any more: see ColumnWriter's comment");
        var found = 0;
        foreach (var e in meta.Schema.Where(e => e.Name is not null && names.Contains(e.Name)))
        {
            if (e.Type != Parquet.Meta.Type.INT64) throw new InvalidOperationException($"time column {e.Name} is {e.Type}, not INT64");
            e.LogicalType = new LogicalType { TIMESTAMP = new TimestampType { IsAdjustedToUTC = true, Unit = new TimeUnit { MICROS = new MicroSeconds() } } };
            e.ConvertedType = ConvertedType.TIMESTAMP_MICROS;
            found++;
        }
        if (found != names.Count) throw new InvalidOperationException($"time columns {string.Join(", ", names)}: {found} found in Parquet.Net's schema");
    }
}
