namespace Lrbs.Host.Report;

/// <summary>A report that cannot be made as asked: the value or file, and why.</summary>
public sealed class ReportException(string message) : Exception(message);

/// <summary>What to report on: a slice of trials for the learning curves (KEY=VALUE,...), the
/// target metric for steps-to-target, a published table to compare with.</summary>
public sealed record ReportOptions(string? Slice, double? Target, string? CompareTable);
