using Lrbs.Core.Analysis;
using Lrbs.Host.Storage.Rows;
using static Lrbs.Host.Report.SectionHelpers;

namespace Lrbs.Host.Report;

/// <summary>One schedule's (batch size, learning rate) grid as its sections read it: the axes
/// (ascending), the trials of each cell, and a cell's mean finished test metric.</summary>
sealed class Grid
{
    public IReadOnlyList<TrialRow> Trials { get; }
    public string Metric => Trials[0].Metric;
    public List<int> Batches { get; }
    public List<double> Lrs { get; }
    public Dictionary<(int BatchSize, double Lr), IReadOnlyList<TrialRow>> Cells { get; }

    public Grid(IReadOnlyList<TrialRow> trials)
    {
        Trials = trials;
        Batches = trials.Select(t => t.BatchSize).Distinct().Order().ToList();
        Lrs = trials.Select(t => t.Lr).Distinct().Order().ToList();
        Cells = trials.GroupBy(t => (t.BatchSize, t.Lr)).ToDictionary(g => g.Key, g => (IReadOnlyList<TrialRow>)g.ToList());
    }

    /// <summary>The mean of a cell's finished values; NaN for an empty or wholly unfinished cell.</summary>
    public double Mean((int, double) key) =>
        Cells.TryGetValue(key, out var c) && Values(c, false) is { Length: > 0 } v ? Statistics.mean(v) : double.NaN;
}

/// <summary>The grid of one schedule: test metric per cell (the best of each column marked),
/// final training and validation loss, then its heat map and the fitted scaling rule.</summary>
public static class GridSection
{
    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, Func<string, string> name)
    {
        var grid = new Grid(trials);
        var (batches, lrs, cells) = (grid.Batches, grid.Lrs, grid.Cells);
        // a full grid marks the best of each column, as the studies publish; a searched one (learning
        // rates differ per batch size, so columns are sparse) marks each batch size's best
        var full = batches.All(b => lrs.All(lr => cells.ContainsKey((b, lr))));
        var bestOfColumn = lrs.ToDictionary(lr => lr,
            lr => batches.Select(b => grid.Mean((b, lr))).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max());
        var bestOfRow = batches.ToDictionary(b => b,
            b => lrs.Select(lr => grid.Mean((b, lr))).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max());
        bool Best((int B, double Lr) key) => grid.Mean(key) == (full ? bestOfColumn[key.Lr] : bestOfRow[key.B]);
        var (fewest, repeats) = (cells.Values.Min(c => c.Count), cells.Values.Max(c => c.Count));
        IEnumerable<IReadOnlyList<string>> Rows(Func<(int, double), IReadOnlyList<TrialRow>, string> text) =>
            batches.Select(b => (IReadOnlyList<string>)[b.ToString(), .. lrs.Select(lr => cells.TryGetValue((b, lr), out var c) ? text((b, lr), c) : "")]);
        var over = repeats > 1 ? $", mean ± std over {(fewest < repeats ? $"{fewest} to " : "")}{repeats} repeats" : "";
        page.Table(["batch \\ lr", .. lrs.Select(Page.Lr)],
            Rows((key, c) => (Best(key) ? "**" : "") + CellText(c, t => t.TestMetric)),
            $"test {grid.Metric}{over}; ★ the best of each " + (full ? "column" : "row (a searched grid: each batch size ran its own learning rates)"));
        if (trials.Any(t => t.ValLoss is not null))
            page.Table(["batch \\ lr", .. lrs.Select(Page.Lr)],
                Rows((_, c) => CellText(c, t => t.FinalTrainLoss) + " / " + CellText(c, t => t.ValLoss)),
                "final training loss / validation loss");
        if (lrs.Count < 2) return; // one learning rate (a scaling-rule arm): no heat map, no fit
        var fit = ScalingSection.Fit(grid);
        HeatMapSection.Write(page, grid, fit, name);
        ScalingSection.Write(page, fit);
        OptimumSection.Write(page, data, trials, fit, name);
    }
}
