namespace Lrbs.Host.Report;

/// <summary>A branched study read for another folder's report (`lrbs report DIR --branches BRANCHED`):
/// its folder and its reference families by group (dataset / model / optimizer / ...), the group
/// a grid's critical-batch table matches.</summary>
public sealed record BranchedStudy(string Folder, IReadOnlyDictionary<string, BranchSection.Family> ByGroup)
{
    public static BranchedStudy Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new ReportException($"--branches {folder}: folder not found");
        var families = BranchSection.Families(ReportData.Load(folder)).Where(f => f.Problem is null && f.Points.Count > 0).ToList();
        if (families.Count == 0) throw new ReportException($"--branches {folder}: no branched trials with a CBS(t) (a sweep with a branch section writes them)");
        // one family per group: the first planned (a group with several reference learning rates keeps its first)
        return new(folder, families.GroupBy(f => f.Reference.Group).ToDictionary(g => g.Key, g => g.First()));
    }
}
