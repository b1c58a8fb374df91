namespace Lrbs.Host.Report;

/// <summary>Everything the report reads from a results folder, through DuckDB over its Parquet parts.</summary>
public sealed record ReportData(string Folder, IReadOnlyList<TrialRow> Trials, IReadOnlyList<EpochRow> Epochs,
    IReadOnlyDictionary<string, int> Parts, bool HasPredictions, IReadOnlyDictionary<string, int> PlanIndex, IReadOnlyDictionary<string, string> Searches,
    IReadOnlyDictionary<string, string> BranchSettings)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The folder's trials and epochs, read back into the records they were written from.</summary>
    public static ReportData Load(string folder)
    {
        using var db = ResultsReader.Open(folder);
        var trials = db.Rows<TrialRow>("SELECT * FROM trials ORDER BY dataset, model, optimizer, schedule, batch_size, lr, seed, trial_id");
        var epochs = db.Rows<EpochRow>("SELECT * FROM epochs ORDER BY trial_id, epoch");
        var parts = ResultsSchema.Tables.ToDictionary(t => t.Name, t => ResultsReader.Parts(folder, t.Name).Length);
        var plan = parts["manifest"] == 0 ? new Dictionary<string, int>()
            : db.Rows<ManifestRow>("SELECT trial_id, min(plan_index) AS plan_index FROM manifest GROUP BY 1").ToDictionary(m => m.Id, m => m.PlanIndex);
        // each searched sweep's settings, by sweep name
        var searches = parts["manifest"] == 0 ? new Dictionary<string, string>()
            : db.Rows<ManifestRow>("SELECT DISTINCT sweep, search FROM manifest WHERE search IS NOT NULL").ToDictionary(m => m.Sweep, m => m.Search!);
        // each branched sweep's settings, by sweep name
        var branching = parts["manifest"] == 0 ? new Dictionary<string, string>()
            : db.Rows<ManifestRow>("SELECT DISTINCT sweep, branch_settings FROM manifest WHERE branch_settings IS NOT NULL").ToDictionary(m => m.Sweep, m => m.BranchSettings!);
        return new ReportData(folder, trials, epochs, parts, ResultsSchema.PredictionTables.Any(t => parts[t.Name] > 0), plan, searches, branching);
    }

    /// <summary>The first plan index among some trials (the sweep file's order: S7 plans its main
    /// series, SGD, first); int.MaxValue when no manifest plans any of them.</summary>
    public int FirstPlanned(IEnumerable<TrialRow> trials) =>
        trials.Select(t => PlanIndex.TryGetValue(t.Id, out var k) ? k : int.MaxValue).DefaultIfEmpty(int.MaxValue).Min();

    /// <summary>Rows of a query over one table as records; empty when the folder has no part of it
    /// (no predictions of that kind).</summary>
    public List<T> Rows<T>(ResultsTable table, string sql) where T : new()
    {
        if (Parts[table.Name] == 0) return [];
        using var db = ResultsReader.Open(Folder);
        return db.Rows<T>(sql);
    }

    /// <summary>A query over the folder's views (for the predictions-based sections).</summary>
    public QueryResult Query(string sql)
    {
        using var db = ResultsReader.Open(Folder);
        return db.Query(sql);
    }

    public static double Num(string? s) => s is null ? double.NaN : double.Parse(s, Inv);
}
