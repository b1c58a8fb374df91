using System.Runtime.InteropServices;

namespace Lrbs.Host.Storage;

/// <summary>P/Invoke declarations for the DuckDB C API (duckdb.h, DuckDB 1.5.6), all in one place.
/// libduckdb.so comes from the pinned npm package @duckdb/node-bindings-linux-x64@1.5.6-r.1 and is
/// found without LD_LIBRARY_PATH by <see cref="Resolve"/>.</summary>
internal static class DuckDbNative
{
    const string Lib = "duckdb";

    /// <summary>duckdb_result: six pointer-sized fields, opaque except through the API.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Result
    {
        public ulong DeprecatedColumnCount;
        public ulong DeprecatedRowCount;
        public ulong DeprecatedRowsChanged;
        public IntPtr DeprecatedColumns;
        public IntPtr DeprecatedErrorMessage;
        public IntPtr InternalData;
    }

    [DllImport(Lib)] internal static extern int duckdb_open([MarshalAs(UnmanagedType.LPUTF8Str)] string? path, out IntPtr database);
    [DllImport(Lib)] internal static extern void duckdb_close(ref IntPtr database);
    [DllImport(Lib)] internal static extern int duckdb_connect(IntPtr database, out IntPtr connection);
    [DllImport(Lib)] internal static extern void duckdb_disconnect(ref IntPtr connection);
    [DllImport(Lib)] internal static extern int duckdb_query(IntPtr connection, [MarshalAs(UnmanagedType.LPUTF8Str)] string query, out Result result);
    [DllImport(Lib)] internal static extern IntPtr duckdb_result_error(ref Result result);
    [DllImport(Lib)] internal static extern void duckdb_destroy_result(ref Result result);
    [DllImport(Lib)] internal static extern ulong duckdb_column_count(ref Result result);
    [DllImport(Lib)] internal static extern ulong duckdb_row_count(ref Result result);
    [DllImport(Lib)] internal static extern IntPtr duckdb_column_name(ref Result result, ulong column);
    [DllImport(Lib)] [return: MarshalAs(UnmanagedType.U1)] internal static extern bool duckdb_value_is_null(ref Result result, ulong column, ulong row);
    [DllImport(Lib)] internal static extern IntPtr duckdb_value_varchar(ref Result result, ulong column, ulong row);
    [DllImport(Lib)] internal static extern void duckdb_free(IntPtr pointer);
    [DllImport(Lib)] internal static extern IntPtr duckdb_library_version();

    static DuckDbNative() => NativeLibrary.SetDllImportResolver(typeof(DuckDbNative).Assembly, Resolve);

    /// <summary>Maps "duckdb" to libduckdb.so: $LRBS_DUCKDB if set, else node_modules under the repository.</summary>
    static IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        foreach (var candidate in Candidates())
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        throw new DllNotFoundException(
            "libduckdb.so not found: run ./scripts/setup.sh (it installs the npm package " +
            "@duckdb/node-bindings-linux-x64@1.5.6-r.1), or set LRBS_DUCKDB to the library's path. Looked in: " +
            string.Join(", ", Candidates()));
    }

    static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable("LRBS_DUCKDB");
        if (!string.IsNullOrEmpty(env)) yield return env;
        yield return Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot(), "node_modules", "@duckdb", "node-bindings-linux-x64", "libduckdb.so");
    }
}
