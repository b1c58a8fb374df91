using System.Collections.Concurrent;
using System.Reflection;
using Parquet.Serialization.Attributes;

namespace Lrbs.Host.Storage.Rows;

/// <summary>What a stored column means, and its unit where it has one: the text docs/results.md
/// and an export's key-value metadata give every reader of our files.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class MeaningAttribute(string text) : Attribute
{
    public string Text { get; } = text;
    /// <summary>The unit ("s", "examples", ...); empty for a number without one or for text.</summary>
    public string Unit { get; init; } = "";
}

/// <summary>One column of a row record: its name in the Parquet part (the property's
/// [JsonPropertyName], which Parquet.Net and System.Text.Json both honour), the property, whether it
/// may be null (a nullable value type or a nullable reference), and its meaning and unit.</summary>
public sealed record Column(string Name, PropertyInfo Property, Type Type, bool Nullable, string Meaning, string Unit, bool Timestamp)
{
    /// <summary>The column's Parquet type as docs/results.md names it.</summary>
    public string ParquetType => Timestamp ? "TIMESTAMP(us, UTC)" : Type switch
    {
        var t when t == typeof(string) => "STRING",
        var t when t == typeof(int) => "INT32",
        var t when t == typeof(long) => "INT64",
        var t when t == typeof(double) => "DOUBLE",
        var t when t == typeof(bool) => "BOOLEAN",
        var t => throw new NotSupportedException($"{Property.DeclaringType?.Name}.{Property.Name}: no column type for {t.Name}"),
    };

    /// <summary>The type DuckDB reads the column back as.</summary>
    public string DuckDbType => ParquetType switch
    {
        "STRING" => "VARCHAR",
        "INT32" => "INTEGER",
        "INT64" => "BIGINT",
        "TIMESTAMP(us, UTC)" => "TIMESTAMP WITH TIME ZONE",
        var t => t,
    };
}

/// <summary>The columns of a row record, read once per type: the one mapping of a table's names,
/// types, nullability and meanings. Parquet.Net writes the record by the same attributes; the SQL
/// reader fills records back by these names; docs/results.md is generated from it.</summary>
public static class Columns
{
    static readonly ConcurrentDictionary<Type, IReadOnlyList<Column>> Cache = new();

    public static IReadOnlyList<Column> Of(Type row) => Cache.GetOrAdd(row, Read);

    static IReadOnlyList<Column> Read(Type row)
    {
        var nullability = new NullabilityInfoContext();
        var columns = new List<Column>();
        foreach (var p in row.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<ParquetIgnoreAttribute>() is not null) continue;
            var name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"{row.Name}.{p.Name} has no [JsonPropertyName]: every stored column is named");
            if (!p.CanWrite) throw new InvalidOperationException($"{row.Name}.{p.Name} has no setter: a stored column must read back");
            var stamp = p.GetCustomAttribute<ParquetTimestampAttribute>();
            if ((p.PropertyType == typeof(DateTime) || stamp is not null) && (p.PropertyType != typeof(long) || stamp is not { Resolution: ParquetTimestampResolution.Microseconds, IsAdjustedToUTC: true }))
                throw new InvalidOperationException($"{row.Name}.{p.Name}: a time is a long of microseconds marked [ParquetTimestamp(Microseconds, true, true)] (see Micros)");
            var underlying = System.Nullable.GetUnderlyingType(p.PropertyType);
            var nullable = underlying is not null || (!p.PropertyType.IsValueType && nullability.Create(p).WriteState == NullabilityState.Nullable);
            var meaning = p.GetCustomAttribute<MeaningAttribute>();
            columns.Add(new Column(name, p, underlying ?? p.PropertyType, nullable, meaning?.Text ?? "", meaning?.Unit ?? "", stamp is not null));
        }
        var twice = columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InvalidOperationException($"{row.Name} names column '{twice.Key}' twice");
        return columns;
    }
}

/// <summary>The columns of row record T (<see cref="Columns.Of"/>).</summary>
public static class Columns<T>
{
    public static IReadOnlyList<Column> All => Columns.Of(typeof(T));

    /// <summary>The DuckDB type each column reads back as.</summary>
    public static string DuckDbType(Column c) => c.DuckDbType;
}
