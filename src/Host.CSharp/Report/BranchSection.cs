using Lrbs.Core.Analysis;
using Lrbs.Core.Planning;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>A branched study's critical batch size over training (CriticalBatchOverTraining): per
/// reference family (its group, learning rate and batch size), CBS(t) at every branch point with
/// the repeats' range, B_simple(t) of the same reference runs where they measured it, and how
/// well B_simple tracks CBS. The numbers come from the core; this class reads rows and writes.</summary>
public static class BranchSection
{
    /// <summary>One reference family's measurement; `Problem` says why there is none.</summary>
    /// `Noise` is B_simple of the reference runs against the examples seen: at each branch point
    /// (the state its branches started from, `branch_b_simple`) and at each epoch's end.
    public sealed record Family(string Label, TrialRow Reference, double Tolerance, BranchLoss Loss, string? SettingsNote,
        IReadOnlyList<CriticalBatchOverTraining.Point> Points, IReadOnlyList<(double Examples, double B)> Noise,
        CriticalBatchOverTraining.Tracking? Tracking, int Repeats, int Incomplete, string? Problem)
    {
        /// B_simple at `examples`: measured there, else read log-log between its neighbours; null outside.
        public double? NoiseAt(double examples) => Branches.At(Noise.Select(n => (n.Examples, n.B)), examples);
    }

    static double LossOf(TrialRow t, BranchLoss loss) =>
        t.Status == "diverged" ? double.PositiveInfinity
        : (loss.IsTest ? t.TestLoss : loss.IsValidation ? t.ValLoss : t.FinalTrainLoss) ?? double.NaN;

    /// <summary>Every reference family of the folder's branches.</summary>
    public static IReadOnlyList<Family> Families(ReportData data)
    {
        var byId = data.Trials.ToDictionary(t => t.Id);
        var families = new List<Family>();
        foreach (var g in data.Trials.Where(t => t.BranchReference is not null && byId.ContainsKey(t.BranchReference))
                     .GroupBy(t => (byId[t.BranchReference!].Group, t.Lr, t.BranchBatch)).OrderBy(g => data.FirstPlanned(g)))
        {
            var references = g.Select(t => byId[t.BranchReference!]).DistinctBy(r => r.Id).OrderBy(r => r.Seed).ToList();
            var reference = references[0];
            var label = $"{g.Key.Group} / lr {Page.Lr(g.Key.Lr)} / reference batch {g.Key.BranchBatch}";
            var (tolerance, loss, note) = Settings(data, g.First().Sweep);
            // a repeat counts at a point when every branch batch size of the point finished or diverged there
            var sizes = g.Select(t => t.BatchSize).Distinct().Count();
            var byPoint = new List<KeyValuePair<double, IReadOnlyList<IReadOnlyList<(int, double)>>>>();
            var incomplete = 0;
            foreach (var point in g.GroupBy(t => t.BranchAt!.Value).OrderBy(p => p.Key))
            {
                var repeats = point.GroupBy(t => t.BranchReference).Select(r => r.Where(t => t.Finished || t.Status == "diverged").ToList()).ToList();
                var complete = repeats.Where(r => r.Count == sizes).ToList();
                incomplete += repeats.Count - complete.Count;
                if (complete.Count == 0) continue;
                byPoint.Add(new(point.Key, complete.Select(r => (IReadOnlyList<(int, double)>)r.Select(t => (t.BatchSize, LossOf(t, loss))).ToList()).ToList()));
            }
            var noise = NoiseCurve(data, references, g.ToList());
            IReadOnlyList<CriticalBatchOverTraining.Point> points;
            try { points = Branches.CbsOverTraining(tolerance, reference.TrainRows, byPoint); }
            catch (FormatException e)
            {
                families.Add(new(label, reference, tolerance, loss, note, [], noise, null, references.Count, incomplete, e.Message));
                continue;
            }
            var pairs = points.Select(p => (Cbs: p.Cbs.Estimate.Point, B: Branches.At(noise.Select(n => (n.Examples, n.B)), p.Examples)))
                .Where(p => p.B is not null).Select(p => (p.Cbs, p.B!.Value));
            families.Add(new(label, reference, tolerance, loss, note, points, noise, Branches.Tracking(pairs), references.Count, incomplete, null));
        }
        return families;
    }

    /// <summary>The sweep's tolerance and loss from its manifest (BranchSpec.settingsText), or the
    /// defaults with a note saying they were not recorded.</summary>
    static (double, BranchLoss, string?) Settings(ReportData data, string sweep)
    {
        if (data.BranchSettings.TryGetValue(sweep, out var text))
        {
            try
            {
                var (tolerance, loss) = Branches.OfSettings(text);
                return (tolerance, loss, null);
            }
            catch (FormatException e) { return (BranchSpecModule.defaultTolerance, BranchLoss.Test, $"the manifest's {e.Message}; the defaults are used"); }
        }
        return (BranchSpecModule.defaultTolerance, BranchLoss.Test, "the sweep's branch settings are not in its manifest; the defaults (tolerance 0.01, the test loss) are used");
    }

    /// <summary>B_simple of the reference runs against the examples seen, the mean over the runs
    /// that measured it: at each branch point (each reference run's value, which all its branches
    /// there carry) and at each epoch's end.</summary>
    static IReadOnlyList<(double Examples, double B)> NoiseCurve(ReportData data, IReadOnlyList<TrialRow> references, IReadOnlyList<TrialRow> branches)
    {
        var ids = references.Select(r => r.Id).ToHashSet();
        var rows = (double)references[0].TrainRows;
        var atEpochs = data.Epochs.Where(e => ids.Contains(e.Id) && e.GnsBSimple is > 0).GroupBy(e => e.Epoch)
            .Select(g => (Examples: g.Key * rows, B: g.Average(e => e.GnsBSimple!.Value)));
        var atPoints = branches.Where(b => b.BranchBSimple is > 0).GroupBy(b => b.BranchAt!.Value)
            .Select(g => (Examples: g.Key * rows, B: g.DistinctBy(b => b.BranchReference).Average(b => b.BranchBSimple!.Value)));
        // a point at an epoch's end is measured twice, identically: keep one
        return atPoints.Concat(atEpochs).DistinctBy(n => n.Examples).OrderBy(n => n.Examples).ToList();
    }

    public static void Write(Page page, ReportData data, Func<string, string> name)
    {
        var families = Families(data);
        if (families.Count == 0) return;
        page.Heading(2, "critical batch size over training (branched)");
        page.Paragraph("Merrill et al. (2025, arXiv 2505.23971, §3.1) measure the critical batch size directly: from the reference run's state at a point t, " +
            "branches train at larger batch sizes for a window, and CBS(t) is the largest batch size whose loss at the window's end is within ϵ of every smaller branch's. " +
            "The point is the geometric mean of that batch size and the next one tried; where the largest branch kept up, nothing above it was tried and the value is a lower bound.");
        foreach (var f in families) WriteFamily(page, f, name);
    }

    static void WriteFamily(Page page, Family f, Func<string, string> name)
    {
        page.Heading(3, f.Label);
        var facts = new List<string> { $"{f.Repeats} reference run(s); tolerance ϵ = {f.Tolerance.ToString("G3", Inv)} on the {f.Loss.Name} loss at each window's end." };
        if (f.SettingsNote is not null) facts.Add(f.SettingsNote + ".");
        if (f.Incomplete > 0) facts.Add($"{f.Incomplete} repeat(s) at some point lack a branch (not run yet or failed) and are left out there.");
        if (f.Problem is not null) { facts.Add($"No CBS(t): {f.Problem}."); page.Paragraph(string.Join(" ", facts)); return; }
        var bounds = f.Points.Count(p => p.Cbs.Estimate.IsBound);
        if (bounds > 0) facts.Add($"At {bounds} of {f.Points.Count} points the largest branch kept up: there CBS is a lower bound, not a value.");
        facts.Add(f.Tracking is { } tr
            ? $"B_simple against CBS over the {tr.Pairs} points where both are known: " +
              (double.IsNaN(tr.Rho) ? "Spearman's ρ is undefined (one of the two takes a single value at every point); "
                  : $"Spearman's ρ = {tr.Rho:0.00} (95% bootstrap over points {tr.RhoLow:0.00} to {tr.RhoHigh:0.00}); ") +
              $"B_simple / CBS = {tr.Ratio:0.00} as a geometric mean ({tr.RatioLow:0.00} to {tr.RatioHigh:0.00})" +
              (tr.Pairs < 6 ? $"; with {tr.Pairs} points these intervals are wide by construction." : ".")
            : "No comparison with B_simple: it needs the reference runs' noise scale (noise_scale_every, noise_scale_small) at three or more branch points.");
        page.Paragraph(string.Join(" ", facts));
        string B(double b) => b.ToString(b >= 10 ? "0" : "G2", Inv);
        page.Table(["t (epochs)", "examples seen", "CBS(t)", "bracket", "repeats' range", "B_simple(t)"],
            f.Points.Select(p => (IReadOnlyList<string>)[
                p.At.ToString("G4", Inv), p.Examples.ToString("0", Inv),
                (p.Cbs.Estimate.IsBound ? "≥ " : "") + B(p.Cbs.Estimate.Point),
                Analyses.Upper(p.Cbs.Estimate) is int u ? $"{p.Cbs.Estimate.Lower} to {u}" : $"{p.Cbs.Estimate.Lower} and up",
                p.Cbs.Repeats > 1 ? $"{B(p.Cbs.Low)} to {B(p.Cbs.High)} ({p.Cbs.Repeats} repeats{(p.Cbs.AnyBound ? ", some bounds" : "")})" : "one repeat",
                f.NoiseAt(p.Examples) is { } b ? B(b) : "not measured"]),
            "CBS(t) from the mean loss over repeats at each batch size; the range is that of the repeats' own estimates.");
        var rows = f.Points.Select(p => (object)new
        {
            series = "CBS(t), branched", measure = "b", x = p.Examples, epoch = p.At, mean = p.Cbs.Estimate.Point, lo = p.Cbs.Low, hi = p.Cbs.High,
        }).Concat(f.Noise.Select(n => (object)new { series = "B_simple(t), reference runs", measure = "b", x = n.Examples, epoch = n.Examples, mean = n.B, lo = n.B, hi = n.B })).ToList();
        page.Add(new Figure(name("cbs"), Figures.Curves($"critical batch size over training: {f.Label}", rows, [("b", "batch size")], "x", logX: true, logY: true, xTitle: "examples seen"),
            "CBS(t) measured by branching (points, band: the repeats' range) and the gradient noise scale B_simple of the reference runs at the branch points and their epochs' ends, against the examples seen (log-log)."));
    }

    /// <summary>The rows of OUT/report/critical_batch.parquet: one per family and branch point.</summary>
    public static List<CriticalBatchRow> Rows(IReadOnlyList<Family> families) =>
        families.SelectMany(f => f.Points.Select(p => new CriticalBatchRow
        {
            Family = f.Label, Dataset = f.Reference.Dataset, Model = f.Reference.Model, Optimizer = f.Reference.Optimizer, Lr = f.Reference.Lr,
            ReferenceBatch = f.Reference.BatchSize, At = p.At, Examples = p.Examples, Cbs = p.Cbs.Estimate.Point, Lower = p.Cbs.Estimate.Lower,
            Upper = Analyses.Upper(p.Cbs.Estimate), IsBound = p.Cbs.Estimate.IsBound, RepeatsLow = p.Cbs.Low, RepeatsHigh = p.Cbs.High, Repeats = p.Cbs.Repeats,
            BSimple = f.NoiseAt(p.Examples),
            Tolerance = f.Tolerance, Loss = f.Loss.Name,
        })).ToList();
}
