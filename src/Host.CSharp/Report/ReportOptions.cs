namespace Lrbs.Host.Report;

/// <summary>A report that cannot be made as asked: the value or file, and why.</summary>
public sealed class ReportException(string message) : Exception(message);

/// <summary>What to report on: a slice of trials for the learning curves (KEY=VALUE,...), the
/// target metric for steps-to-target, a published table to compare with, the near-optimal band's
/// tolerance (null: within the noise) and the batch size the rules start from (null: each
/// group's smallest), and a branched study's CBS(t) per group (`--branches`), whose value at the
/// end of training fills the branched row of the group's critical-batch table.</summary>
public sealed record ReportOptions(string? Slice, double? Target, string? CompareTable, double? BandTolerance = null, int? RulesBase = null,
    BranchedStudy? Branches = null)
{
    /// <summary>The band's tolerance as the core reads it.</summary>
    public Lrbs.Core.Analysis.OptimumBand.Tolerance Tolerance =>
        BandTolerance is double f ? Lrbs.Core.Analysis.OptimumBand.Tolerance.NewRelative(f) : Lrbs.Core.Analysis.OptimumBand.Tolerance.Noise;
}
