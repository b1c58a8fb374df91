using Lrbs.Core.Analysis;

namespace Lrbs.Host.Report;

/// <summary>The critical batch size two ways (McCandlish et al. 2018): B_crit = E_min/S_min fitted
/// to the grid's measured steps to the target, and the gradient noise scale B_simple at the
/// training loss where the target is reached. A verdict on where larger batches stop paying is
/// given only where its premises hold (learning rates tuned per batch size, every optimum
/// bracketed, B_crit measured); otherwise one sentence says which premise fails.</summary>
public static class CriticalBatchSection
{
    /// <summary>A B_crit outside the measured batch sizes is an extrapolation of the fit; say so.</summary>
    public static string? Outside(double bCrit, int smallest, int largest) =>
        bCrit > largest ? $"B_crit lies beyond the largest batch size measured ({largest}): the fit extrapolates, " +
            $"and the grid itself only shows that larger batches kept paying up to {largest}."
        : bCrit < smallest ? $"B_crit lies below the smallest batch size measured ({smallest}): the fit extrapolates, " +
            $"and the grid itself only shows that batches from {smallest} up already stopped paying in full."
        : null;

    /// <summary>An interval whose ends may be open (not bounded by the data).</summary>
    public static string IntervalText(CriticalBatchInterval.Interval i, int largest) =>
        (Analyses.Low(i), Analyses.High(i)) switch
        {
            (double lo, double hi) => $"95% bootstrap interval {B(lo)} to {B(hi)}",
            (double lo, null) => $"95% bootstrap interval from {B(lo)} up, not bounded above by the data (past {largest}, the largest batch size, nothing measured stops it)",
            (null, double hi) => $"95% bootstrap interval up to {B(hi)}, not bounded below by the data",
            _ => "bootstrap interval not bounded by the data at either end",
        } + (i.OverSeeds ? ", seeds resampled jointly, each seed's steps drawn within its evaluation interval" : ", batch sizes resampled (one seed)");

    /// A batch size as text: whole above 10, two significant digits below.
    static string B(double b) => b >= 10 ? b.ToString("0", System.Globalization.CultureInfo.InvariantCulture) : b.ToString("G2", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The premises of a verdict that fail, in words.</summary>
    public static List<string> FailedPremises(IReadOnlyList<TrialRow> trials, ScalingFit.Fit? fit, CriticalBatch.Pareto? pareto,
        CriticalBatchInterval.Interval? interval)
    {
        var fails = new List<string>();
        if (trials.GroupBy(t => t.BatchSize).Any(row => row.Select(t => t.Lr).Distinct().Count() < 2))
            fails.Add("the learning rate was not tuned per batch size (one learning rate per batch size, set by a rule), so the steps are not each batch size's best");
        else if (fit is null || fit.AtEdge > 0)
            fails.Add(fit is null ? "no best learning rate was measured per batch size"
                : $"at {fit.AtEdge} batch size(s) the best learning rate is at the grid's edge, so the steps there may not be at the optimum");
        if (pareto is null) fails.Add("B_crit is not measured");
        else if (interval is null) fails.Add("B_crit has no bootstrap interval (most resamples of the grid give no fit)");
        else if (Analyses.Low(interval) is null || Analyses.High(interval) is null)
            fails.Add($"B_crit's interval is not bounded {(Analyses.Low(interval) is null ? "below" : "above")} by the data, so where larger batches stop paying is not located");
        return fails;
    }

    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, StepsToTarget.Run[] runs, double goal,
        StepsToTarget.Fewest[] found, Func<string, string> name, BranchedStudy? branches = null)
    {
        var group = trials[0].Group;
        var learned = trials.Where(t => t.Learned).ToList();
        page.Heading(3, "critical batch size");
        var measured = found.Where(f => f.Exact).ToArray();
        var pareto = Analyses.CriticalBatch(goal, runs);
        var interval = Analyses.CriticalBatchInterval(goal, runs);
        var (smallest, largest) = measured.Length > 0 ? (measured[0].Batch, measured[^1].Batch) : (0, 0);
        var facts = new List<string>();
        if (pareto is not null)
            facts.Add($"From the grid's measured steps to test {trials[0].Metric} {goal:0.0000} at {measured.Length} batch sizes (each seed read at the middle of the evaluation interval where it met the target): S_min = {pareto.SMin:0} steps, " +
                $"E_min = {pareto.EMin:0} examples, B_crit = E_min/S_min = {pareto.BCrit:0}" + (interval is { } i ? $" ({IntervalText(i, largest)})" : "") + ".");
        else facts.Add($"No B_crit from the grid: fitting S(B) = S_min (1 + B_crit/B) needs measured steps at three or more batch sizes (here {measured.Length}" +
            (found.Length > measured.Length ? $"; {found.Length - measured.Length} more reached the target at the first evaluation, a bound only" : "") + ").");

        // the noise scale where the target is reached: the training loss at each seed's reach, pooled
        var noise = NoiseScale.Bins(data, learned);
        var atTarget = TargetLoss(data, learned, runs, goal, found) is double loss ? Analyses.NoiseAt(loss, noise) : null;
        if (atTarget is not null) facts.Add($"Gradient noise scale at the training loss where the target is reached: {NoiseScale.Text(atTarget)} ({NoiseScale.Definition}).");
        else if (noise.Length == 0) facts.Add("No gradient noise scale: these trials did not measure it (trial keys noise_scale_every and noise_scale_small).");

        var fit = ScalingSection.Fit(new Grid(trials));
        var fails = FailedPremises(trials, fit, pareto, interval);
        if (fails.Count > 0) facts.Add($"No verdict on where larger batches stop paying: {string.Join("; ", fails)}.");
        else
        {
            var rule = fit is null ? null : Analyses.FollowedRule(fit);
            facts.Add($"Verdict: beyond about B_crit ≈ {pareto!.BCrit:0} a larger batch stops cutting the steps in proportion (Shallue et al. 2019), so " +
                (rule is null ? "scaling the learning rate with the batch size stops paying there (the group's own rule is not determined)" : $"the {rule} rule this group follows (k = {fit!.K:0.00}) stops paying there") +
                (atTarget is not null ? CompareNoise(pareto.BCrit, atTarget.B) : "") + ".");
            if (Outside(pareto.BCrit, smallest, largest) is { } outside) facts.Add(outside);
        }
        page.Paragraph(string.Join(" ", facts));
        page.Table(["estimator", "definition", "critical batch size", "how sure"],
            Estimators(pareto, interval, atTarget, smallest, largest, branches, branches?.ByGroup.GetValueOrDefault(group)));
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
        if (pareto is null && atTarget is null) return;
        var lines = new List<object>();
        if (pareto is not null)
            foreach (var b in PowerLaw.logSpaced(found[0].Batch, found[^1].Batch, 41))
                lines.Add(new { x = b, y = pareto.Steps(b) });
        var marks = new List<(string Label, double B)>();
        if (pareto is not null) marks.Add(("B_crit (grid)", pareto.BCrit));
        if (atTarget is not null) marks.Add(("B_simple (at the target's loss)", atTarget.B));
        var bestLr = fit?.Rows.Select(r => (object)new { x = r.Batch, y = r.Bound.IsInterior ? r.Vertex : r.BestLr }).ToList() ?? [];
        var band = interval is { } iv
            ? new { lo = Analyses.Low(iv) ?? found[0].Batch / 4.0, hi = Math.Min(Analyses.High(iv) ?? double.PositiveInfinity, found[^1].Batch * 16.0) }
            : null;
        page.Add(new Figure(name("critical"), Figures.CriticalBatch($"critical batch size: {group}", bestLr,
            found.Select(f => (object)new { x = f.Batch, y = f.Steps }).ToList(), lines,
            marks.Select(m => (object)new { x = m.B, label = m.Label }).ToList(), band),
            "Left: the best learning rate of each batch size. Right: steps to the target (points)" + (pareto is not null ? " with the fitted S(B) = S_min (1 + B_crit/B) (dashed)" : "") +
            ". Vertical lines: " + string.Join(" and ", marks.Select(m => m.Label)) +
            (band is not null ? "; shaded: B_crit's bootstrap interval, drawn at most to 16 times the largest batch size" + (Analyses.High(interval!) is null ? " (its upper end is not bounded by the data)" : "") : "") + "."));
    }

    /// <summary>One table, four estimators of the critical batch size for one model and dataset:
    /// the Pareto fit's B_crit (McCandlish et al. 2018, Shallue et al. 2019), Zhang et al.'s 20%
    /// overhead over linear scaling from the same fit (CriticalBatch.overheadBatch, anchored at the
    /// smallest batch size with measured steps), B_simple where the target is reached, and the
    /// branched measurement (Merrill et al. 2025), which needs a branched study.</summary>
    public static List<IReadOnlyList<string>> Estimators(CriticalBatch.Pareto? pareto, CriticalBatchInterval.Interval? interval, NoiseByLoss.Bin? atTarget,
        int smallest, int largest, BranchedStudy? branches = null, BranchSection.Family? branched = null)
    {
        var rows = new List<IReadOnlyList<string>>();
        const string pending = "not measured";
        rows.Add(["B_crit (McCandlish et al. 2018)", "E_min / S_min of S(B) = S_min (1 + B_crit/B) fitted to the steps to the target",
            pareto is null ? pending : B(pareto.BCrit), pareto is null ? "needs measured steps at 3 or more batch sizes" : interval is { } i ? IntervalText(i, largest) : "no interval"]);
        if (pareto is null)
            rows.Add(["20% overhead (Zhang et al. 2025)", "the batch size whose steps exceed linear scaling from an anchor by 20%, on the same fit", pending, "needs B_crit's fit"]);
        else
        {
            var o = CriticalBatch.defaultOverhead;
            var zhang = CriticalBatch.overheadBatch(o, smallest, pareto);
            string End(double? b) => b is double v ? B(CriticalBatch.overheadBatch(o, smallest, new CriticalBatch.Pareto(pareto.SMin, v))) : "open";
            var excess = CriticalBatch.anchorExcess(smallest, pareto);
            rows.Add(["20% overhead (Zhang et al. 2025)", $"(1 + {o:0.0}) A + {o:0.0} B_crit: the batch size whose steps exceed linear scaling from the anchor A = {smallest} (the smallest batch size measured) by {o:0%}",
                B(zhang), (interval is { } iv ? $"from B_crit's interval: {End(Analyses.Low(iv))} to {End(Analyses.High(iv))}; " : "") +
                $"the anchor itself needs {excess:0%} more examples than E_min" + (excess > 0.25 ? ", so it is not in the linear regime the definition assumes: read as a bound" : "")]);
        }
        rows.Add(["B_simple (McCandlish et al. 2018)", "tr(Σ) / |G|², the gradient noise scale at the training loss where the target is reached",
            atTarget is null ? pending : B(atTarget.B), atTarget is null ? "needs noise_scale_every and noise_scale_small" : NoiseScale.Text(atTarget)]);
        const string branchedDefinition = "the largest branch batch size whose loss after the window stays within ϵ of every smaller branch's (CriticalBatchDirect), at the last branch point";
        if (branched is { } f)
        {
            var p = f.Points[^1];
            rows.Add(["branched CBS (Merrill et al. 2025)", branchedDefinition, (p.Cbs.Estimate.IsBound ? "≥ " : "") + B(p.Cbs.Estimate.Point),
                $"at t = {p.At.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)} epochs of {f.Repeats} reference run(s) at batch {f.Reference.BatchSize}, lr {Page.Lr(f.Reference.Lr)} " +
                $"({branches!.Folder}); bracket {p.Cbs.Estimate.Lower} to {(Analyses.Upper(p.Cbs.Estimate) is int u ? u.ToString() : "untried")}, repeats' range {B(p.Cbs.Low)} to {B(p.Cbs.High)}; " +
                $"ϵ {f.Tolerance.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)} on the {f.Loss.Name} loss. Measured late in training, not at the target's loss as the rows above"]);
        }
        else
            rows.Add(["branched CBS (Merrill et al. 2025)", branchedDefinition, pending,
                branches is null ? "needs a branched study of this group (lrbs report DIR --branches BRANCHED, a sweep with a branch section)"
                    : $"{branches.Folder} has no branched study of this group"]);
        return rows;
    }

    /// <summary>The median training loss, over the seeds of each batch size's best learning rate,
    /// at the epoch where each reaches the target; null where none does.</summary>
    static double? TargetLoss(ReportData data, IReadOnlyList<TrialRow> trials, StepsToTarget.Run[] runs, double goal, StepsToTarget.Fewest[] found)
    {
        var byTrial = data.Epochs.ToLookup(e => e.Id);
        var losses = new List<double>();
        foreach (var f in found)
            foreach (var r in runs.Where(r => r.Batch == f.Batch && r.Lr == f.Lr))
            {
                var i = Array.FindIndex(r.Metrics, m => m >= goal);
                var trial = trials.FirstOrDefault(t => t.BatchSize == r.Batch && t.Lr == r.Lr && t.Seed == r.Seed);
                if (i < 0 || trial is null) continue;
                if (byTrial[trial.Id].OrderBy(e => e.Epoch).ElementAtOrDefault(i)?.TrainLoss is double l && double.IsFinite(l)) losses.Add(l);
            }
        return losses.Count == 0 ? null : Statistics.median(losses.ToArray());
    }

    static string CompareNoise(double bCrit, double bSimple)
    {
        var ratio = Math.Max(bCrit, bSimple) / Math.Min(bCrit, bSimple);
        return ratio <= 2 ? $"; B_simple at that loss agrees within a factor {ratio:0.0}" : $"; B_simple at that loss differs by a factor {ratio:0.0}: treat the boundary as uncertain";
    }
}
