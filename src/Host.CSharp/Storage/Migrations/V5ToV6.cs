namespace Lrbs.Host.Storage.Migrations;

/// <summary>lrbs-results/5 to lrbs-results/6: trials gain the branch columns `branch_reference`,
/// `branch_at`, `branch_batch`, `branch_window` and `branch_b_simple` (a branch of a reference run, TrialConfig's
/// BranchPoint), null in every trial before them: no trial was a branch; the manifest gains
/// `branch_settings`, null: no sweep had a branch section. Every other table is restamped.</summary>
public static class V5ToV6
{
    public static PartRows Apply(PartRows part)
    {
        if (part.Table == "manifest")
            return new PartRows("manifest", ResultsSchema.Manifest.Columns.Select(c => c.Name).ToList(),
                part.Rows.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(RowMigrations.Restamp(r, 6)) { ["branch_settings"] = null }).ToList());
        if (part.Table != "trials") return RowMigrations.Restamped(part, 6);
        var rows = part.Rows.Select(r => (IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>(RowMigrations.Restamp(r, 6))
        {
            ["branch_reference"] = null,
            ["branch_at"] = null,
            ["branch_batch"] = null,
            ["branch_window"] = null,
            ["branch_b_simple"] = null,
        }).ToList();
        return new PartRows("trials", ResultsSchema.Trials.Columns.Select(c => c.Name).ToList(), rows);
    }
}
