using Lrbs.Core.Analysis;

namespace Lrbs.Host.Report;

/// <summary>The gradient noise scale as every section of the report gives it, one definition:
/// B_simple = tr(Σ)/|G|² (McCandlish et al. 2018) with |G|² and tr(Σ) each averaged over every
/// epoch of the group's finished trials in a bin of training loss (NoiseByLoss.bins), so that it
/// is compared at a loss, never as one trial's last estimate.</summary>
static class NoiseScale
{
    public const string Definition = "B_simple = tr(Σ)/|G|², |G|² and tr(Σ) each averaged over the trials' epochs in a tenth of a decade of training loss";

    /// <summary>The pooled bins of these trials' epochs that measured the noise scale, highest loss first.</summary>
    public static NoiseByLoss.Bin[] Bins(ReportData data, IEnumerable<TrialRow> trials)
    {
        var ids = trials.Where(t => t.Finished).Select(t => t.Id).ToHashSet();
        return NoiseByLoss.bins(data.Epochs.Where(e => ids.Contains(e.Id) && e.GnsG2 is not null && e.GnsTrace is not null)
            .Select(e => new NoiseByLoss.Sample(e.Id, e.TrainLoss ?? double.NaN, e.GnsG2!.Value, e.GnsTrace!.Value)).ToArray());
    }

    /// <summary>"B_simple = X at training loss L (N trials, E epochs)".</summary>
    public static string Text(NoiseByLoss.Bin b) => $"B_simple = {b.B:0.#} at training loss {b.Loss:0.###} ({b.Trials} trials, {b.Epochs} epochs pooled)";
}
