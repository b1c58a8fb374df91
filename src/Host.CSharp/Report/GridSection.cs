using Lrbs.Core.Analysis;
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

    /// <summary>The mean of what a cell's finished trials measured (a collapsed trial's value
    /// included: it is what it measured); NaN for an empty or wholly unfinished cell.</summary>
    public double Mean((int, double) key) =>
        Cells.TryGetValue(key, out var c) && c.Where(t => t.Finished && t.TestMetric is not null).Select(t => t.TestMetric!.Value).ToArray() is { Length: > 0 } v
            ? Statistics.mean(v) : double.NaN;

    /// <summary>How a cell ended: "learned", "collapsed" (every finished trial collapsed) or "diverged or failed" (none finished).</summary>
    public string Kind((int, double) key) =>
        !Cells.TryGetValue(key, out var c) || !c.Any(t => t.Finished) ? "diverged or failed" : c.Any(t => t.Learned) ? "learned" : "collapsed";

    /// <summary>A cell's score as the search and the fit score it: the mean over its seeds, a
    /// diverged, failed or collapsed seed counting 0; NaN for an empty cell.</summary>
    public double Score((int, double) key) =>
        Cells.TryGetValue(key, out var c) && Values(c, true) is { Length: > 0 } v ? Statistics.mean(v) : double.NaN;
}

/// <summary>The grid of one schedule: test metric per cell (the best learning rate of each batch
/// size marked, as the field reads a learning-rate x batch-size study: row by row), final
/// training and validation loss, then the grid drawn, the fitted scaling rule and lr*(B).</summary>
public static class GridSection
{
    public static void Write(Page page, ReportData data, IReadOnlyList<TrialRow> trials, ReportOptions options, Func<string, string> name)
    {
        var grid = new Grid(trials);
        var (batches, lrs, cells) = (grid.Batches, grid.Lrs, grid.Cells);
        // a grid searched per batch size runs its own learning rates in each row: its cells are sparse
        var full = batches.All(b => lrs.All(lr => cells.ContainsKey((b, lr))));
        var bestOfRow = batches.ToDictionary(b => b,
            b => lrs.Select(lr => grid.Score((b, lr))).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max());
        bool Best((int B, double Lr) key) => grid.Score(key) == bestOfRow[key.B] && double.IsFinite(bestOfRow[key.B]);
        var (fewest, repeats) = (cells.Values.Min(c => c.Count), cells.Values.Max(c => c.Count));
        IEnumerable<IReadOnlyList<string>> Rows(Func<(int, double), IReadOnlyList<TrialRow>, string> text) =>
            batches.Select(b => (IReadOnlyList<string>)[b.ToString(), .. lrs.Select(lr => cells.TryGetValue((b, lr), out var c) ? text((b, lr), c) : "")]);
        var over = repeats > 1 ? $", mean ± std over {(fewest < repeats ? $"{fewest} to " : "")}{repeats} seeds" : ", one seed";
        page.Table(["batch \\ lr", .. lrs.Select(Page.Lr)],
            Rows((key, c) => (Best(key) ? "**" : "") + CellText(c, t => t.TestMetric)),
            $"test {grid.Metric}{over}; ★ the best learning rate of each batch size (the highest mean, diverged, failed and collapsed trials scoring 0)" +
            (full ? "" : "; empty cells: each batch size ran the learning rates its search chose"));
        if (trials.Any(t => t.ValLoss is not null))
            page.Table(["batch \\ lr", .. lrs.Select(Page.Lr)],
                Rows((_, c) => CellText(c, t => t.FinalTrainLoss) + " / " + CellText(c, t => t.ValLoss)),
                "final training loss / validation loss (each curve's last epoch)");
        EpochMeanSection.Write(page, data, grid);
        if (lrs.Count < 2) return; // one learning rate (a scaling-rule arm): no map, no fit
        var fit = ScalingSection.Fit(grid);
        HeatMapSection.Write(page, grid, fit, full, name);
        ScalingSection.Write(page, data, grid, fit);
        var bands = OptimumBand.bands(options.Tolerance, ScalingSection.Cells(grid));
        OptimumSection.Write(page, data, trials, fit, bands, options.RulesBase, name);
        BandSection.Write(page, grid, trials, fit, bands, options, name);
    }
}
