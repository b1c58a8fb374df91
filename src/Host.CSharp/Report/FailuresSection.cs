namespace Lrbs.Host.Report;

/// <summary>Every trial that did not finish, or finished without having learned (collapsed), and why.</summary>
public static class FailuresSection
{
    public static void Write(Page page, ReportData data)
    {
        page.Heading(2, "Failed, diverged and collapsed trials");
        var bad = data.Trials.Where(t => !t.Learned).ToList();
        var unknown = data.Trials.Count(t => t.Finished && t.Collapsed is null);
        var note = unknown > 0 ? $" {unknown} trials were not checked for collapse: they were committed before lrbs recorded it and their data was not on the machine that migrated them." : "";
        if (bad.Count == 0) { page.Paragraph("None: every trial finished (ok or stopped early) and learned." + note); return; }
        page.Paragraph("A collapsed trial finished but learned nothing: its final test metric is within two standard errors of a constant prediction's " +
            "(the chance level of its test rows), or its training loss ended above its first epoch's. Fits, the search and steps to a target score " +
            "collapsed trials as they score diverged ones (0)." + note);
        page.Table(["trial", "study slice", "batch", "lr", "seed", "status", "epochs", "why"],
            bad.Select(t => (IReadOnlyList<string>)[t.Id, t.Group, t.BatchSize.ToString(), Page.Lr(t.Lr), t.Seed.ToString(),
                t.Finished ? "collapsed" : t.Status, t.Epochs.ToString(), Why(t, data)]), text: true);
    }

    static string Why(Lrbs.Host.Storage.Rows.TrialRow t, ReportData data)
    {
        if (t.Status == "diverged") return "the epoch loss became NaN or infinite" + (t.Epochs > 0 ? $" after epoch {t.Epochs}" : " in the first epoch");
        if (!t.Finished) return t.Error ?? "";
        if (t.ChanceMetric is double c && (t.TestMetric is not double m || m <= Lrbs.Core.Training.Collapse.threshold(c, t.TestRows)))
            return $"final test {t.Metric} {Page.F(t.TestMetric)} at the chance level {Page.F(c)} (a constant prediction's, on {t.TestRows:N0} test rows)";
        var losses = data.Epochs.Where(e => e.Id == t.Id).OrderBy(e => e.Epoch).Select(e => e.TrainLoss).ToList();
        return $"the training loss ended at {Page.F(losses[^1])}, above its first epoch's {Page.F(losses[0])} (final test {t.Metric} {Page.F(t.TestMetric)})";
    }
}
