using Lrbs.Host.Storage.Rows;
using System.Globalization;
using Lrbs.Core.Analysis;

namespace Lrbs.Host.Report;

/// <summary>The critical batch size two ways (McCandlish et al. 2018): the gradient noise scale
/// B_simple measured during training, and B_crit = E_min/S_min fitted to the grid's steps to
/// the target; both beside the best learning rate of each batch size.</summary>
public static class CriticalBatchSection
{
    /// <summary>B_simple against the training loss (NoiseByLoss.bins) from the epochs of these trials that measured it.</summary>
    static NoiseByLoss.Bin[] NoiseBins(ReportData data, IReadOnlyList<TrialRow> trials) =>
        NoiseByLoss.bins(trials.SelectMany(t => data.Epochs.Where(e => e.Id == t.Id && e.GnsG2 is not null && e.GnsTrace is not null)
            .Select(e => new NoiseByLoss.Sample(t.Id, e.TrainLoss ?? double.NaN, e.GnsG2!.Value, e.GnsTrace!.Value))).ToArray());

    /// <summary>A B_crit outside the measured batch sizes is an extrapolation of the fit; say so.</summary>
    public static string? Outside(double bCrit, int smallest, int largest) =>
        bCrit > largest ? $"B_crit lies beyond the largest batch size measured ({largest}): the fit extrapolates, " +
            $"and the grid itself only shows that larger batches kept paying up to {largest}."
        : bCrit < smallest ? $"B_crit lies below the smallest batch size measured ({smallest}): the fit extrapolates, " +
            $"and the grid itself only shows that batches from {smallest} up already stopped paying in full."
        : null;

    /// <summary>The verdict, one sentence (none without either estimate), and a note when the
    /// grid's B_crit lies outside the measured batch sizes [smallest, largest].</summary>
    public static IReadOnlyList<string> Verdict(double? bCrit, double? bSimple, int smallest, int largest)
    {
        var lines = new List<string>();
        if (bCrit is double bc && bSimple is double b2)
        {
            var ratio = Math.Max(bc, b2) / Math.Min(bc, b2);
            lines.Add($"Verdict: linear scaling of the learning rate should stop near B ≈ {Math.Sqrt(bc * b2):0} (the two estimates' geometric mean); " +
                (ratio <= 3 ? $"the grid agrees with the noise scale (within a factor {ratio:0.0})."
                    : $"the grid and the noise scale differ by a factor {ratio:0.0}: treat the boundary as uncertain."));
        }
        else if (bCrit is double bc2) lines.Add($"Verdict: linear scaling of the learning rate should stop near B ≈ {bc2:0}.");
        else if (bSimple is double b3) lines.Add($"Verdict: by the noise scale, linear scaling should stop near B ≈ {b3:0}.");
        if (bCrit is double bc3 && Outside(bc3, smallest, largest) is { } outside) lines.Add(outside);
        return lines;
    }

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> done, StepsToTarget.Run[] runs, double goal,
        StepsToTarget.Fewest[] found, Func<string, string> name)
    {
        var group = done[0].Group;
        page.Heading(3, "critical batch size");
        var pareto = CriticalBatchInterval.fit(found)?.Value;
        var interval = CriticalBatchInterval.bootstrap(goal, runs, found)?.Value;
        var noise = NoiseBins(data, done);
        // B_simple where training ends: the lowest-loss bin with a pooled estimate
        double? bSimple = noise.Length > 0 ? noise[^1].B : null;
        var facts = new List<string>();
        if (pareto is not null)
            facts.Add($"From the grid's steps to test {done[0].Metric} {goal:0.0000}: S_min = {pareto.SMin:0} steps, E_min = {pareto.EMin:0} examples, " +
                $"B_crit = E_min/S_min = {pareto.BCrit:0}" +
                (interval is { } i ? $" (95% bootstrap interval {i.Low:0} to {i.High:0}, {(i.OverRepeats ? "over repeats" : "over batch sizes")})" : "") + ".");
        else facts.Add("No B_crit from the grid: fitting S(B) = S_min (1 + B_crit/B) needs steps to the target at three or more batch sizes.");
        if (bSimple is double bs)
            facts.Add($"Gradient noise scale: B_simple = tr(Σ)/|G|² {(bs >= noise[0].B ? "rises" : "falls")} from {noise[0].B:0} to {bs:0} " +
                $"as the training loss falls from {noise[0].Loss:0.00} to {noise[^1].Loss:0.00} " +
                "(|G|² and tr(Σ) averaged separately over every trial's epochs at that loss).");
        else facts.Add("No gradient noise scale: these trials did not measure it (trial keys noise_scale_every and noise_scale_small).");
        facts.AddRange(Verdict(pareto?.BCrit, bSimple, found.Length > 0 ? found[0].Batch : 0, found.Length > 0 ? found[^1].Batch : 0));
        page.Paragraph(string.Join(" ", facts));
        if (noise.Length > 0)
            page.Add(new Figure(name("noise"), Figures.Curves($"gradient noise scale over training: {group}",
                noise.Select(n => (object)new
                {
                    series = "B_simple (pooled over trials)", measure = "b", x = n.Loss, epoch = n.Loss, mean = n.B,
                    lo = double.IsFinite(n.Low) ? n.Low : n.B, hi = double.IsFinite(n.High) ? n.High : n.B,
                }).ToList(),
                [("b", "B_simple")], "x", logX: true, logY: true, xTitle: "training loss"),
                "B_simple against the training loss (log-log; training moves right to left): " +
                "|G|² and tr(Σ) pooled over the trials' epochs in each loss bin; band: 95% bootstrap over trials."));
        if (pareto is null && bSimple is null) return;
        var lines = new List<object>();
        if (pareto is not null)
            foreach (var b in PowerLaw.logSpaced(found[0].Batch, found[^1].Batch, 41))
                lines.Add(new { x = b, y = pareto.Steps(b) });
        var marks = new List<(string Label, double B)>();
        if (pareto is not null) marks.Add(("B_crit (grid)", pareto.BCrit));
        if (bSimple is double b4) marks.Add(("B_simple (end of training)", b4));
        static double Mean(IEnumerable<TrialRow> cell) =>
            Statistics.mean(cell.Where(t => t.TestMetric is not null).Select(t => t.TestMetric!.Value).DefaultIfEmpty(0).ToArray());
        var bestLr = ScalingFit.exponent(done.GroupBy(t => t.BatchSize)
            .Select(row => Tuple.Create(row.Key, row.GroupBy(t => t.Lr).Select(c => Tuple.Create(c.Key, Mean(c))).ToArray())).ToArray()).Item2;
        page.Add(new Figure(name("critical"), Figures.CriticalBatch($"critical batch size: {group}",
            bestLr.Select(p => (object)new { x = p.Item1, y = p.Item2 }).ToList(),
            found.Select(f => (object)new { x = f.Batch, y = f.Steps }).ToList(), lines,
            marks.Select(m => (object)new { x = m.B, label = m.Label }).ToList(),
            interval is { } iv ? new { lo = Math.Max(iv.Low, found[0].Batch / 4.0), hi = Math.Min(iv.High, found[^1].Batch * 16.0) } : null),
            "Left: the best learning rate of each batch size. Right: steps to the target (points) with the fitted S(B) = S_min (1 + B_crit/B) (dashed). " +
            "Vertical lines: B_crit from the grid (shaded: its bootstrap interval, drawn at most to 16 times the largest batch) " +
            "and B_simple at the end of training."));
    }
}
