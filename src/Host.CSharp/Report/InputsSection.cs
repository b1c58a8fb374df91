namespace Lrbs.Host.Report;

/// <summary>What the report was computed from: the folder's parts, the code versions, machines
/// and statuses of its trials.</summary>
public static class InputsSection
{
    public static void Write(Page page, ReportData data)
    {
        page.Heading(2, "Inputs");
        page.Paragraph($"Every number below is computed from the Parquet parts of {data.Folder}: " +
            string.Join(", ", data.Parts.Where(p => p.Value > 0).Select(p => $"{p.Value} {p.Key} parts")) +
            $". This report was made by lrbs at code version {Lrbs.Host.Storage.CodeVersion.Current}; the trials by the versions below.");
        Count(page, "code version", data.Trials.GroupBy(t => t.CodeVersion).OrderBy(g => g.Key));
        Count(page, "machine", data.Trials.GroupBy(t => t.Machine));
        Count(page, "status", data.Trials.GroupBy(t => t.Status).OrderBy(g => g.Key));
    }

    static void Count<T>(Page page, string what, IEnumerable<IGrouping<string, T>> groups) =>
        page.Table([what, "trials"], groups.Select(g => (IReadOnlyList<string>)[g.Key, g.Count().ToString()]));
}
