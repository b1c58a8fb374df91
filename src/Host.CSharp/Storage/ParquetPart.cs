using Parquet.Serialization;

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
/// serialises the rows (columns named, typed and made nullable by the record,
/// <see cref="Rows.Columns{T}"/>) to a temporary file beside the target, and
/// <see cref="Durable.Publish"/> puts it in place.</summary>
public static class ParquetPart
{
    public static void Write<T>(IReadOnlyCollection<T> rows, string finalPath) where T : new()
    {
        _ = Rows.Columns<T>.All; // a record without named columns fails here, before any file exists
        var temp = Durable.TempPath(finalPath);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
                ParquetSerializer.SerializeAsync(rows, stream).GetAwaiter().GetResult();
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
}
