namespace Lrbs.Host.Storage.Migrations;

/// <summary>The rows of one part as a migration sees them: its table (the sub-folder it lives in),
/// its column names, and each row as column name -> value (string, int, long, double, bool or a UTC
/// DateTime; null for NULL). A part with no rows still has its columns.</summary>
public sealed record PartRows(string Table, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows);

/// <summary>A part that cannot be migrated: what is wrong with it (the caller adds the file).</summary>
public sealed class MigrationException(string message) : Exception(message);

/// <summary>The migrations between schema versions: pure functions from a part's rows in version N
/// to its rows in version N + 1, chained up to <see cref="ResultsSchema.Current"/>. A new schema
/// version adds its step here (and a test of it); nothing else reads old parts.</summary>
public static class RowMigrations
{
    /// <summary>Each step, by the version it migrates from.</summary>
    static readonly IReadOnlyDictionary<int, Func<PartRows, PartRows>> Steps = new Dictionary<int, Func<PartRows, PartRows>>
    {
        [2] = V2ToV3.Apply,
    };

    /// <summary>`part`, written in `version`, as the current version writes it.</summary>
    public static PartRows ToCurrent(PartRows part, int version)
    {
        if (version > ResultsSchema.Current)
            throw new MigrationException($"written with {ResultsSchema.Name(version)}, by a newer lrbs than this one, which reads {ResultsSchema.Version}: use a newer lrbs");
        if (version < ResultsSchema.Oldest)
            throw new MigrationException($"written with {ResultsSchema.Name(version)}, older than any this lrbs migrates ({ResultsSchema.Name(ResultsSchema.Oldest)} and later): rerun its trials");
        for (var v = version; v < ResultsSchema.Current; v++) part = Steps[v](part);
        return part;
    }

    /// <summary>A copy of `row` with `schema` set to version `to`.</summary>
    internal static Dictionary<string, object?> Restamp(IReadOnlyDictionary<string, object?> row, int to) =>
        new(row) { ["schema"] = ResultsSchema.Name(to) };
}
