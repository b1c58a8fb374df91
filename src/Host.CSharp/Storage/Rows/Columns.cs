using System.Reflection;
using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Lrbs.Host.Storage.Rows;

/// <summary>One column of a row record: its name in the Parquet part (the property's
/// [JsonPropertyName], which Parquet.Net and System.Text.Json both honour), the property, and
/// whether it may be null (a nullable value type or a nullable reference).</summary>
public sealed record Column(string Name, PropertyInfo Property, Type Type, bool Nullable);

/// <summary>The columns of a row record, read once from the type: the one mapping of a table's
/// names, types and nullability. Parquet.Net writes the record by the same attributes; the SQL
/// reader fills records back by these names; the tests check DuckDB's types against them.</summary>
public static class Columns<T>
{
    public static readonly IReadOnlyList<Column> All = Read();

    static IReadOnlyList<Column> Read()
    {
        var nullability = new NullabilityInfoContext();
        var columns = new List<Column>();
        foreach (var p in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetCustomAttribute<ParquetIgnoreAttribute>() is not null) continue;
            var name = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"{typeof(T).Name}.{p.Name} has no [JsonPropertyName]: every stored column is named");
            if (!p.CanWrite) throw new InvalidOperationException($"{typeof(T).Name}.{p.Name} has no setter: a stored column must read back");
            var underlying = System.Nullable.GetUnderlyingType(p.PropertyType);
            var nullable = underlying is not null || (!p.PropertyType.IsValueType && nullability.Create(p).WriteState == NullabilityState.Nullable);
            columns.Add(new Column(name, p, underlying ?? p.PropertyType, nullable));
        }
        var twice = columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InvalidOperationException($"{typeof(T).Name} names column '{twice.Key}' twice");
        return columns;
    }

    /// <summary>The DuckDB type each column reads back as (Parquet.Net's mapping of the CLR type).</summary>
    public static string DuckDbType(Column c) => c.Type switch
    {
        var t when t == typeof(string) => "VARCHAR",
        var t when t == typeof(int) => "INTEGER",
        var t when t == typeof(long) => "BIGINT",
        var t when t == typeof(double) => "DOUBLE",
        var t when t == typeof(bool) => "BOOLEAN",
        var t when t == typeof(DateTime) => "TIMESTAMP",
        var t => throw new NotSupportedException($"{typeof(T).Name}.{c.Property.Name}: no column type for {t.Name}"),
    };
}
