namespace Lrbs.Host.Report;

/// <summary>Every trial that did not finish, and why.</summary>
public static class FailuresSection
{
    public static void Write(Page page, ReportData data)
    {
        page.Heading(2, "Failed and diverged trials");
        var bad = data.Trials.Where(t => !t.Finished).ToList();
        if (bad.Count == 0) { page.Paragraph("None: every trial finished (ok or stopped early)."); return; }
        page.Table(["trial", "study slice", "batch", "lr", "seed", "status", "epochs", "why"],
            bad.Select(t => (IReadOnlyList<string>)[t.Id, t.Group, t.BatchSize.ToString(), Page.Lr(t.Lr), t.Seed.ToString(), t.Status, t.Epochs.ToString(),
                t.Status == "diverged"
                    ? "the epoch loss became NaN or infinite" + (t.Epochs > 0 ? $" after epoch {t.Epochs}" : " in the first epoch")
                    : t.Error ?? ""]));
    }
}
