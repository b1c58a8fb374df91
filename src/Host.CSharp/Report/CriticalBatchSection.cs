using Lrbs.Host.Storage.Rows;
using System.Globalization;
using Lrbs.Core.Analysis;
using Lrbs.Core.Engine;

namespace Lrbs.Host.Report;

/// <summary>The critical batch size two ways (McCandlish et al. 2018): the gradient noise scale
/// B_simple measured during training, and B_crit = E_min/S_min fitted to the grid's steps to
/// the target; both beside the best learning rate of each batch size.</summary>
public static class CriticalBatchSection
{
    static Microsoft.FSharp.Core.FSharpFunc<Rng, double> F(Func<Rng, double> f) => Microsoft.FSharp.Core.FuncConvert.FromFunc(f);

    /// <summary>B_simple against the training loss: the epochs of every trial binned by loss
    /// (10 bins per decade), |G|^2 and tr(Sigma) averaged separately over the bin (each is
    /// unbiased; their ratio is taken last), with a bootstrap band over trials.</summary>
    static List<(double Loss, double B, double Lo, double Hi)> NoiseByLoss(ReportData data, IReadOnlyList<TrialRow> trials)
    {
        var rows = trials.SelectMany(t => data.Epochs.Where(e => e.Id == t.Id && e.GnsG2 is not null && e.GnsTrace is not null && e.TrainLoss > 0)
            .Select(e => (Trial: t.Id, Bin: Math.Floor(Math.Log10(e.TrainLoss!.Value) * 10), G2: e.GnsG2!.Value, Tr: e.GnsTrace!.Value))).ToList();
        var ids = rows.Select(r => r.Trial).Distinct().ToArray();
        var result = new List<(double, double, double, double)>();
        foreach (var bin in rows.GroupBy(r => r.Bin).OrderByDescending(g => g.Key))
        {
            var list = bin.ToList();
            if (list.Select(r => r.Trial).Distinct().Count() < 2) continue;
            double Ratio(IEnumerable<(string Trial, double Bin, double G2, double Tr)> set)
            {
                var s = set.ToList();
                var g2 = s.Average(r => r.G2);
                return g2 > 0 ? s.Average(r => r.Tr) / g2 : double.NaN;
            }
            var b = Ratio(list);
            if (!(b > 0)) continue;
            var byTrial = list.GroupBy(r => r.Trial).ToList();
            var band = Statistics.bootstrap(7UL, 400, F(rng => Ratio(Enumerable.Range(0, byTrial.Count).SelectMany(_ => byTrial[rng.NextInt(byTrial.Count)]))));
            var (lo, hi) = band is null ? (double.NaN, double.NaN) : band.Value.ToValueTuple();
            result.Add((Math.Pow(10, (bin.Key + 0.5) / 10), b, lo, hi));
        }
        return result;
    }

    /// <summary>A B_crit outside the measured batch sizes is an extrapolation of the fit; say so.</summary>
    public static string? Outside(double bCrit, int smallest, int largest) =>
        bCrit > largest ? $"B_crit lies beyond the largest batch size measured ({largest}): the fit extrapolates, and the grid itself only shows that larger batches kept paying up to {largest}."
        : bCrit < smallest ? $"B_crit lies below the smallest batch size measured ({smallest}): the fit extrapolates, and the grid itself only shows that batches from {smallest} up already stopped paying in full."
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
                (ratio <= 3 ? $"the grid agrees with the noise scale (within a factor {ratio:0.0})." : $"the grid and the noise scale differ by a factor {ratio:0.0}: treat the boundary as uncertain."));
        }
        else if (bCrit is double bc2) lines.Add($"Verdict: linear scaling of the learning rate should stop near B ≈ {bc2:0}.");
        else if (bSimple is double b3) lines.Add($"Verdict: by the noise scale, linear scaling should stop near B ≈ {b3:0}.");
        if (bCrit is double bc3 && Outside(bc3, smallest, largest) is { } outside) lines.Add(outside);
        return lines;
    }

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> done, double goal,
        IReadOnlyList<(int Batch, double Lr, double Steps)> found, Func<string, string> name)
    {
        var group = done[0].Group;
        page.Heading(3, "critical batch size");
        var pareto = CriticalBatch.fit(found.Select(f => Tuple.Create((double)f.Batch, f.Steps)).ToArray())?.Value;
        (double, double)? interval = null;
        var repeats = false;
        if (pareto is not null)
        {
            // over repeats only when every cell has some; a partial sweep resamples batch sizes
            repeats = done.GroupBy(t => (t.BatchSize, t.Lr)).All(c => c.Count() > 1);
            var batches = found.ToArray();
            var boot = Statistics.bootstrap(11UL, 300, F(rng =>
            {
                var points = repeats
                    ? ReportBuilder.StepsToGoal(data, done, goal, cell => cell.Select(_ => cell[rng.NextInt(cell.Count)]).ToList()).Found.Select(f => (f.Batch, f.Steps)).ToArray()
                    : batches.Select(_ => batches[rng.NextInt(batches.Length)]).Select(f => (f.Batch, f.Steps)).ToArray();
                var fit = CriticalBatch.fit(points.Select(p => Tuple.Create((double)p.Item1, p.Item2)).ToArray());
                return fit is null ? double.NaN : fit.Value.BCrit;
            }));
            if (boot is not null) interval = boot.Value.ToValueTuple();
        }
        var noise = NoiseByLoss(data, done);
        // B_simple where training ends: the lowest-loss bin with a pooled estimate
        double? bSimple = noise.Count > 0 ? noise[^1].B : null;
        var facts = new List<string>();
        if (pareto is not null)
            facts.Add($"From the grid's steps to test {done[0].Metric} {goal:0.0000}: S_min = {pareto.SMin:0} steps, E_min = {pareto.EMin:0} examples, " +
                $"B_crit = E_min/S_min = {pareto.BCrit:0}" + (interval is { } i ? $" (95% bootstrap interval {i.Item1:0} to {i.Item2:0}, {(repeats ? "over repeats" : "over batch sizes")})" : "") + ".");
        else facts.Add("No B_crit from the grid: fitting S(B) = S_min (1 + B_crit/B) needs steps to the target at three or more batch sizes.");
        if (bSimple is double bs)
            facts.Add($"Gradient noise scale: B_simple = tr(Σ)/|G|² {(bs >= noise[0].B ? "rises" : "falls")} from {noise[0].B:0} to {bs:0} as the training loss falls from {noise[0].Loss:0.00} to {noise[^1].Loss:0.00} " +
                "(|G|² and tr(Σ) averaged separately over every trial's epochs at that loss).");
        else facts.Add("No gradient noise scale: these trials did not measure it (trial keys noise_scale_every and noise_scale_small).");
        facts.AddRange(Verdict(pareto?.BCrit, bSimple, found.Count > 0 ? found[0].Batch : 0, found.Count > 0 ? found[^1].Batch : 0));
        page.Paragraph(string.Join(" ", facts));
        if (noise.Count > 0)
            page.Add(new Figure(name("noise"), Figures.Curves($"gradient noise scale over training: {group}",
                noise.Select(n => (object)new { series = "B_simple (pooled over trials)", measure = "b", x = n.Loss, epoch = n.Loss, mean = n.B, lo = double.IsFinite(n.Lo) ? n.Lo : n.B, hi = double.IsFinite(n.Hi) ? n.Hi : n.B }).ToList(),
                [("b", "B_simple")], "x", logX: true, logY: true, xTitle: "training loss"),
                "B_simple against the training loss (log-log; training moves right to left): |G|² and tr(Σ) pooled over the trials' epochs in each loss bin; band: 95% bootstrap over trials."));
        if (pareto is null && bSimple is null) return;
        var lines = new List<object>();
        if (pareto is not null)
            foreach (var b in Enumerable.Range(0, 41).Select(k => found[0].Batch * Math.Pow((double)found[^1].Batch / found[0].Batch, k / 40.0)))
                lines.Add(new { x = b, y = pareto.Steps(b) });
        var marks = new List<(string Label, double B)>();
        if (pareto is not null) marks.Add(("B_crit (grid)", pareto.BCrit));
        if (bSimple is double b4) marks.Add(("B_simple (end of training)", b4));
        var bestLr = ScalingFit.exponent(done.GroupBy(t => t.BatchSize).Select(row => Tuple.Create(row.Key, row.GroupBy(t => t.Lr)
            .Select(c => Tuple.Create(c.Key, Statistics.mean(c.Where(t => t.TestMetric is not null).Select(t => t.TestMetric!.Value).DefaultIfEmpty(0).ToArray()))).ToArray())).ToArray()).Item2;
        page.Add(new Figure(name("critical"), Figures.CriticalBatch($"critical batch size: {group}",
            bestLr.Select(p => (object)new { x = p.Item1, y = p.Item2 }).ToList(),
            found.Select(f => (object)new { x = f.Batch, y = f.Steps }).ToList(), lines,
            marks.Select(m => (object)new { x = m.B, label = m.Label }).ToList(),
            interval is { } iv ? new { lo = Math.Max(iv.Item1, found[0].Batch / 4.0), hi = Math.Min(iv.Item2, found[^1].Batch * 16.0) } : null),
            "Left: the best learning rate of each batch size. Right: steps to the target (points) with the fitted S(B) = S_min (1 + B_crit/B) (dashed). " +
            "Vertical lines: B_crit from the grid (shaded: its bootstrap interval, drawn at most to 16 times the largest batch) and B_simple at the end of training."));
    }
}
