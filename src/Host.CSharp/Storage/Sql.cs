using System.Data.Common;
using DuckDB.NET.Data;

namespace Lrbs.Host.Storage;

/// <summary>A storage error: DuckDB's own message (or the reader's), naming what failed.</summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A query's answer as text cells (null for SQL NULL), with column names.</summary>
public sealed record QueryResult(IReadOnlyList<string> Columns, IReadOnlyList<string?[]> Rows);

/// <summary>An in-memory DuckDB (through DuckDB.NET's ADO.NET provider) for SQL over Parquet
/// parts: the only door to DuckDB in lrbs. It reads; Parquet.Net writes.</summary>
public sealed class Sql : IDisposable
{
    readonly DuckDBConnection _connection;

    public Sql()
    {
        _connection = new DuckDBConnection("DataSource=:memory:");
        try { _connection.Open(); }
        catch (DuckDBException e) { throw new StorageException($"cannot open an in-memory DuckDB: {e.Message}", e); }
    }

    /// <summary>The DuckDB library's version.</summary>
    public string Version => _connection.ServerVersion;

    /// <summary>Runs statements that return nothing of interest.</summary>
    public void Execute(string sql) => Run(sql, c => c.ExecuteNonQuery());

    /// <summary>Runs a query and returns every cell as text (numbers round-trip, times to the microsecond).</summary>
    public QueryResult Query(string sql) => Run(sql, c =>
    {
        using var r = c.ExecuteReader();
        var names = Enumerable.Range(0, r.FieldCount).Select(r.GetName).ToList();
        var rows = new List<string?[]>();
        while (r.Read())
            rows.Add(Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? null : Text(r.GetValue(i))).ToArray());
        return new QueryResult(names, rows);
    });

    /// <summary>Runs a query and fills one record per row, matching result columns to the record's
    /// column names (<see cref="Columns{T}"/>); a record column the result lacks (an older part)
    /// stays null. A NULL in a column the record cannot hold as null is an error naming it.</summary>
    public List<T> Rows<T>(string sql) where T : new() => Run(sql, c =>
    {
        using var r = c.ExecuteReader();
        var ordinals = Enumerable.Range(0, r.FieldCount).ToDictionary(r.GetName, i => i);
        var present = Columns<T>.All.Where(col => ordinals.ContainsKey(col.Name)).Select(col => (col, ordinals[col.Name])).ToList();
        var rows = new List<T>();
        while (r.Read())
        {
            var row = new T();
            foreach (var (col, i) in present)
            {
                if (r.IsDBNull(i))
                {
                    if (!col.Nullable) throw new StorageException($"column {col.Name} is NULL in a row, but {typeof(T).Name} needs a value there");
                    continue;
                }
                col.Property.SetValue(row, Convert(r.GetValue(i), col));
            }
            rows.Add(row);
        }
        return rows;
    });

    /// <summary><see cref="Rows{T}"/> for a row record type known at run time.</summary>
    public List<object> Records(Type row, string sql) =>
        ((System.Collections.IEnumerable)typeof(Sql).GetMethod(nameof(Rows))!.MakeGenericMethod(row)
            .Invoke(this, System.Reflection.BindingFlags.DoNotWrapExceptions, null, [sql], null)!).Cast<object>().ToList();

    /// <summary>Runs a query and returns each row as column name -> value (strings, integers,
    /// doubles, booleans; times as UTC DateTime; null for NULL), for what has no record yet: a part
    /// of an older schema.</summary>
    public List<IReadOnlyDictionary<string, object?>> Dicts(string sql) => Run(sql, c =>
    {
        using var r = c.ExecuteReader();
        var names = Enumerable.Range(0, r.FieldCount).Select(r.GetName).ToArray();
        var rows = new List<IReadOnlyDictionary<string, object?>>();
        while (r.Read())
        {
            var row = new Dictionary<string, object?>(names.Length);
            for (var i = 0; i < names.Length; i++) row[names[i]] = r.IsDBNull(i) ? null : Utc(r.GetValue(i));
            rows.Add(row);
        }
        return rows;
    });

    /// <summary>A time as a UTC DateTime: DuckDB gives TIMESTAMP WITH TIME ZONE as an offset time
    /// and plain TIMESTAMP (what older parts stored, always UTC) without a kind.</summary>
    static object Utc(object v) => v switch
    {
        DateTimeOffset o => o.UtcDateTime,
        DateTime d => d.Kind == DateTimeKind.Utc ? d : d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : DateTime.SpecifyKind(d, DateTimeKind.Utc),
        _ => v,
    };

    static object Convert(object value, Column col)
    {
        try
        {
            return col.Timestamp ? Micros.Of((DateTime)Utc(value)) : System.Convert.ChangeType(value, col.Type, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw new StorageException($"column {col.Name}: {value} ({value.GetType().Name}) does not read as {col.Type.Name}", e);
        }
    }

    static string Text(object v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateTimeOffset o => Text(o.UtcDateTime),
        DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.'),
        // structs and maps, then lists, written as DuckDB writes them
        System.Collections.IDictionary d => "{" + string.Join(", ", d.Keys.Cast<object>().Select(k => $"'{k}': {(d[k] is { } x ? Text(x) : "NULL")}")) + "}",
        System.Collections.IEnumerable e and not string => "[" + string.Join(", ", e.Cast<object?>().Select(x => x is null ? "NULL" : Text(x))) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    T Run<T>(string sql, Func<DbCommand, T> body)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        try { return body(command); }
        catch (DuckDBException e) when (e.ErrorType == DuckDB.NET.Native.DuckDBErrorType.OutOfMemory)
        {
            throw new StorageException($"DuckDB ran out of memory reading the results: its limit in this process is {MemoryLimit()}, " +
                "80% of the memory the process may use, so a scheduler's limit (Slurm's --mem, a container's) counts; give the job more memory. " +
                $"DuckDB said: {e.Message.Split('\n')[0]}", e);
        }
        catch (DuckDBException e) { throw new StorageException(e.Message, e); }
    }

    string MemoryLimit()
    {
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT current_setting('memory_limit')";
            return command.ExecuteScalar()?.ToString() ?? "unknown";
        }
        catch (DuckDBException) { return "unknown"; }
    }

    /// <summary>A SQL string literal (for file names and ids built into a statement).</summary>
    public static string Literal(string? s) => s is null ? "NULL" : "'" + s.Replace("'", "''") + "'";

    public void Dispose() => _connection.Dispose();
}
