using System.Collections;
using System.Reflection;

namespace Lrbs.Host.Storage;

/// <summary>A results folder that cannot be written now (full, read-only, gone): the folder and the
/// system's reason. Exit 2; what was committed stays, a rerun resumes.</summary>
public sealed class OutputException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>The error for a write into `dir` that failed with `e` (the system's reason without the path).</summary>
    public static OutputException For(string dir, Exception e) =>
        new($"cannot write to {dir}: {e.Message.Split(" : '")[0].TrimEnd('.')}. Nothing partial was kept; free space or fix the folder, then rerun the same command: it resumes.", e);
}

/// <summary>One Parquet file written atomically and durably from typed row records: Parquet.Net
/// writes the rows (columns named, typed and made nullable by the record,
/// <see cref="Rows.Columns{T}"/>; <see cref="ColumnWriter"/>) to a temporary file beside the target, and
/// <see cref="Durable.Publish"/> puts it in place. `metadata` goes into the file's key-value metadata.</summary>
public static class ParquetPart
{
    public static void Write<T>(IReadOnlyCollection<T> rows, string finalPath, IReadOnlyDictionary<string, string>? metadata = null) where T : new()
    {
        _ = Rows.Columns<T>.All; // a record without named columns fails here, before any file exists
        var temp = Durable.TempPath(finalPath);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                ColumnWriter.WriteAsync(typeof(T), rows as IList ?? rows.ToList(), stream, metadata).GetAwaiter().GetResult();
            Durable.Publish(temp, finalPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputException.For(Path.GetDirectoryName(Path.GetFullPath(finalPath))!, e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>A part of a results table: its rows, and its schema version in the metadata.</summary>
    public static void Write<T>(ResultsTable table, IReadOnlyCollection<T> rows, string finalPath) where T : new()
    {
        if (typeof(T) != table.Row) throw new ArgumentException($"{table.Name} holds {table.Row.Name} rows, not {typeof(T).Name}");
        Write(rows, finalPath, SchemaMetadata);
    }

    /// <summary>A part of a results table from records of its row type known only at run time.</summary>
    public static void WriteRecords(ResultsTable table, IEnumerable<object> records, string finalPath, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(table.Row))!;
        foreach (var r in records) list.Add(r);
        TypedWrite.MakeGenericMethod(table.Row).Invoke(null, BindingFlags.DoNotWrapExceptions, null, [list, finalPath, metadata ?? SchemaMetadata], null);
    }

    /// <summary>The key-value metadata of every results part: its schema version.</summary>
    public static readonly IReadOnlyDictionary<string, string> SchemaMetadata = new Dictionary<string, string> { [ResultsSchema.MetadataKey] = ResultsSchema.Version };

    static readonly MethodInfo TypedWrite = typeof(ParquetPart).GetMethods()
        .Single(m => m.Name == nameof(Write) && m.GetParameters() is [_, { ParameterType: var p }, _] && p == typeof(string));
}
