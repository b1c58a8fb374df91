using System.Runtime.InteropServices;

namespace Lrbs.Host.Storage;

/// <summary>A storage error: DuckDB's own message, with the statement that caused it.</summary>
public sealed class StorageException(string message) : Exception(message);

/// <summary>A query's answer as text cells (null for SQL NULL), with column names.</summary>
public sealed record QueryResult(IReadOnlyList<string> Columns, IReadOnlyList<string?[]> Rows);

/// <summary>An in-process DuckDB database and one connection: the only door to DuckDB in lrbs.
/// DuckDB writes and reads the Parquet files (COPY ... TO, read_parquet).</summary>
public sealed class DuckDb : IDisposable
{
    IntPtr _database;
    IntPtr _connection;

    /// <summary>Opens an in-memory database (or a file, when a path is given).</summary>
    public DuckDb(string? path = null)
    {
        if (DuckDbNative.duckdb_open(path, out _database) != 0) throw new StorageException($"cannot open DuckDB database {path ?? ":memory:"}");
        if (DuckDbNative.duckdb_connect(_database, out _connection) != 0)
        {
            DuckDbNative.duckdb_close(ref _database);
            throw new StorageException("cannot connect to DuckDB");
        }
    }

    public static string Version => Marshal.PtrToStringUTF8(DuckDbNative.duckdb_library_version()) ?? "?";

    /// <summary>Runs statements that return nothing of interest.</summary>
    public void Execute(string sql) => Run(sql, (ref DuckDbNative.Result _) => 0);

    /// <summary>Runs a query and returns every cell as text.</summary>
    public QueryResult Query(string sql) => Run(sql, (ref DuckDbNative.Result r) =>
    {
        var columns = (ulong)DuckDbNative.duckdb_column_count(ref r);
        var rows = DuckDbNative.duckdb_row_count(ref r);
        var names = new List<string>();
        for (ulong c = 0; c < columns; c++) names.Add(Marshal.PtrToStringUTF8(DuckDbNative.duckdb_column_name(ref r, c)) ?? "");
        var data = new List<string?[]>();
        for (ulong row = 0; row < rows; row++)
        {
            var cells = new string?[columns];
            for (ulong c = 0; c < columns; c++)
            {
                if (DuckDbNative.duckdb_value_is_null(ref r, c, row)) continue;
                var p = DuckDbNative.duckdb_value_varchar(ref r, c, row);
                cells[c] = Marshal.PtrToStringUTF8(p);
                DuckDbNative.duckdb_free(p);
            }
            data.Add(cells);
        }
        return new QueryResult(names, data);
    });

    delegate T Reader<T>(ref DuckDbNative.Result result);

    T Run<T>(string sql, Reader<T> read)
    {
        ObjectDisposedException.ThrowIf(_connection == IntPtr.Zero, this);
        var state = DuckDbNative.duckdb_query(_connection, sql, out var result);
        try
        {
            if (state != 0)
            {
                var message = Marshal.PtrToStringUTF8(DuckDbNative.duckdb_result_error(ref result)) ?? "unknown DuckDB error";
                throw new StorageException(message);
            }
            return read(ref result);
        }
        finally
        {
            DuckDbNative.duckdb_destroy_result(ref result);
        }
    }

    /// <summary>A SQL string literal.</summary>
    public static string Text(string? s) => s is null ? "NULL" : "'" + s.Replace("'", "''") + "'";

    /// <summary>A DOUBLE literal that round-trips exactly; NaN and infinities become NULL.</summary>
    public static string Double(double? v) =>
        v is double d && double.IsFinite(d) ? $"'{d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}'::DOUBLE" : "NULL";

    public void Dispose()
    {
        if (_connection != IntPtr.Zero) DuckDbNative.duckdb_disconnect(ref _connection);
        if (_database != IntPtr.Zero) DuckDbNative.duckdb_close(ref _database);
        _connection = _database = IntPtr.Zero;
    }
}
