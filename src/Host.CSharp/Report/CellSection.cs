using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>A group that ran one (batch size, learning rate) cell, as a study of one setting
/// across variants does: no grid to draw, so its seeds' results in one line, as the grid's cells
/// give them (mean ± std, and how many collapsed).</summary>
public static class CellSection
{
    public static void Write(Page page, IReadOnlyList<TrialRow> trials)
    {
        var t = trials[0];
        var row = new List<string> { t.BatchSize.ToString(Inv), Page.Lr(t.Lr), CellText(trials, r => r.TestMetric), CellText(trials, r => r.FinalTrainLoss) };
        var header = new List<string> { "batch size", "lr", $"test {t.Metric}", "final training loss" };
        if (trials.Any(r => r.ValLoss is not null))
        {
            header.Add("validation loss");
            row.Add(CellText(trials, r => r.ValLoss));
        }
        header.Add("epochs");
        row.Add(string.Join(", ", trials.OrderBy(r => r.Seed).Select(r => r.Epochs.ToString(Inv))));
        page.Table(header, [row], trials.Count > 1 ? $"one cell, mean ± std over {trials.Count} seeds; epochs: each seed's, in seed order" : "one cell, one seed");
    }
}
