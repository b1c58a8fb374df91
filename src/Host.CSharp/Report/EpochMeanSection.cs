using Lrbs.Core.Analysis;

namespace Lrbs.Host.Report;

/// <summary>Losses at the last planned epoch where early stopping ended some curves before it. S7's
/// final-loss table is "the average value of the loss curves at the 30th" epoch, which a curve that
/// stopped earlier does not have: per cell, the mean training / validation loss at epoch
/// max_epochs over the curves that reached it, with how many of the cell's repeats stopped
/// earlier (the mean of every curve's last epoch is the table before this one).</summary>
public static class EpochMeanSection
{
    /// <summary>A cell's mean losses at epoch `epoch` over its finished trials that reached it, and
    /// how many stopped earlier; null where no trial reached it.</summary>
    public static string CellText(IReadOnlyList<TrialRow> cell, ILookup<string, EpochRow> epochs, int epoch)
    {
        var finished = cell.Where(t => t.Finished).ToList();
        var at = finished.Select(t => epochs[t.Id].FirstOrDefault(e => e.Epoch == epoch)).Where(e => e is not null).Select(e => e!).ToList();
        var earlier = finished.Count - at.Count;
        var note = $"{at.Count} of {cell.Count} reached it" + (earlier > 0 ? $", {earlier} stopped earlier" : "") +
                   (cell.Count - finished.Count is var other && other > 0 ? $", {other} diverged or failed" : "");
        if (at.Count == 0) return $"– ({note})";
        string Mean(Func<EpochRow, double?> f) => at.Select(f).Where(v => v is not null).Select(v => v!.Value).ToArray() is { Length: > 0 } v
            ? Page.F(Statistics.mean(v)) : "–";
        return $"{Mean(e => e.TrainLoss)} / {Mean(e => e.ValLoss)} ({note})";
    }

    /// <summary>The table, where some trial of the grid stopped early before its max_epochs.</summary>
    internal static void Write(Page page, ReportData data, Grid grid)
    {
        var trials = grid.Trials;
        if (!trials.Any(t => t.EarlyStopping is not null && t.Finished && t.Epochs < t.MaxEpochs)) return;
        var epoch = trials.Max(t => t.MaxEpochs);
        var ids = trials.Select(t => t.Id).ToHashSet();
        var epochs = data.Epochs.Where(e => ids.Contains(e.Id)).ToLookup(e => e.Id);
        page.Table(["batch \\ lr", .. grid.Lrs.Select(Page.Lr)],
            grid.Batches.Select(b => (IReadOnlyList<string>)[b.ToString(),
                .. grid.Lrs.Select(lr => grid.Cells.TryGetValue((b, lr), out var c) ? CellText(c, epochs, epoch) : "")]),
            $"training loss / validation loss at epoch {epoch}, mean over the curves that reached it (early stopping ended the others " +
            "before it, so they have no value there; the table above averages every curve's last epoch instead)");
    }
}
