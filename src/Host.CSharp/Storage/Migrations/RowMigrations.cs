namespace Lrbs.Host.Storage.Migrations;

/// <summary>The rows of one part as a migration sees them: its table (the sub-folder it lives in),
/// its column names, and each row as column name -> value (string, int, long, double, bool or a UTC
/// DateTime; null for NULL). A part with no rows still has its columns.</summary>
public sealed record PartRows(string Table, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyDictionary<string, object?>> Rows);

/// <summary>A part that cannot be migrated: what is wrong with it (the caller adds the file).</summary>
public sealed class MigrationException(string message) : Exception(message);

/// <summary>What a migration may know beyond a part's own rows, given to it by the caller (so that a
/// migration stays a function of its inputs): a trial's epoch rows, and the chance level of a
/// trial's test rows (from its data; null where the data is not on this machine).</summary>
public interface IMigrationContext
{
    IReadOnlyList<IReadOnlyDictionary<string, object?>> Epochs(string trialId);
    double? Chance(IReadOnlyDictionary<string, object?> trial);
}

/// <summary>The migrations between schema versions: functions from a part's rows in version N (and
/// what the context knows) to its rows in version N + 1, chained up to
/// <see cref="ResultsSchema.Current"/>. A new schema version adds its step here (and a test of
/// it); nothing else reads old parts.</summary>
public static class RowMigrations
{
    /// <summary>Each step, by the version it migrates from.</summary>
    static readonly IReadOnlyDictionary<int, Func<PartRows, IMigrationContext, PartRows>> Steps = new Dictionary<int, Func<PartRows, IMigrationContext, PartRows>>
    {
        [2] = (p, _) => V2ToV3.Apply(p),
        [3] = V3ToV4.Apply,
        [4] = (p, _) => V4ToV5.Apply(p),
        [5] = (p, _) => V5ToV6.Apply(p),
    };

    /// <summary>`part`, written in `version`, as the current version writes it.</summary>
    public static PartRows ToCurrent(PartRows part, int version, IMigrationContext context)
    {
        if (version > ResultsSchema.Current)
            throw new MigrationException($"written with {ResultsSchema.Name(version)}, by a newer lrbs than this one, which reads {ResultsSchema.Version}: use a newer lrbs");
        if (version < ResultsSchema.Oldest)
            throw new MigrationException($"written with {ResultsSchema.Name(version)}, older than any this lrbs migrates ({ResultsSchema.Name(ResultsSchema.Oldest)} and later): rerun its trials");
        for (var v = version; v < ResultsSchema.Current; v++) part = Steps[v](part, context);
        return part;
    }

    /// <summary>A copy of `row` with `schema` set to version `to`.</summary>
    internal static Dictionary<string, object?> Restamp(IReadOnlyDictionary<string, object?> row, int to) =>
        new(row) { ["schema"] = ResultsSchema.Name(to) };

    /// <summary>Restamps every row of a part that keeps its columns.</summary>
    internal static PartRows Restamped(PartRows part, int to) =>
        part with { Rows = part.Rows.Select(r => (IReadOnlyDictionary<string, object?>)Restamp(r, to)).ToList() };
}
