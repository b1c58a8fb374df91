namespace Lrbs.Host.Storage.Rows;

/// <summary>A time as stored in every table: microseconds since 1970-01-01 UTC in an INT64 marked
/// TIMESTAMP(MICROS, isAdjustedToUTC). The row records hold the number itself, not a DateTime:
/// Parquet.Net 6.1 writes a DateTime column in microseconds with min/max statistics in milliseconds
/// (aloneguid/parquet-dotnet#769, open), and DuckDB then reads a one-row part's time from those
/// statistics, a thousandth of the true value. A long's statistics are the numbers themselves.</summary>
public static class Micros
{
    static readonly DateTime Epoch = new(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public static long Of(DateTime t) => (DateTime.SpecifyKind(t, t.Kind == DateTimeKind.Unspecified ? DateTimeKind.Utc : t.Kind).ToUniversalTime() - Epoch).Ticks / 10;

    public static DateTime ToDateTime(long micros) => Epoch.AddTicks(micros * 10);

    /// <summary>ISO 8601 in UTC with microseconds: 2026-12-06T23:22:23.123456Z.</summary>
    public static string Text(long micros) => ToDateTime(micros).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>JSON (train --json) writes such a column as its ISO 8601 text.</summary>
    public sealed class Json : JsonConverter<long>
    {
        public override long Read(ref Utf8JsonReader reader, Type type, JsonSerializerOptions options) =>
            Of(DateTime.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal));

        public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options) => writer.WriteStringValue(Text(value));
    }
}
