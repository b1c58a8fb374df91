using Parquet.Serialization;

namespace Lrbs.Host.Storage;

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
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
