using Lrbs.Host.Storage.Rows;
using System.Globalization;
using Lrbs.Core.Analysis;
using Lrbs.Core.Losses;
using Lrbs.Host.Storage;
using Microsoft.FSharp.Core;

namespace Lrbs.Host.Report;

/// <summary>A report that cannot be made as asked: the value or file, and why.</summary>
public sealed class ReportException(string message) : Exception(message);

/// <summary>What to report on: a slice of trials for the learning curves (KEY=VALUE,...), the
/// target metric for steps-to-target, a published table to compare with.</summary>
public sealed record ReportOptions(string? Slice, double? Target, string? CompareTable);

/// <summary>Builds the study report from a results folder alone: per dataset, model and
/// optimizer the grid, its heat map and the fitted scaling rule, learning curves, timings,
/// steps to a target, schedule regimes, box errors; a published-table comparison; failures.</summary>
public static class ReportBuilder
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    static string S(double v) => v.ToString("R", Inv);

    public static Page Build(ReportData data, ReportOptions options)
    {
        var slice = Slice.Parse(options.Slice, data.Trials);
        var page = new Page();
        var figures = 0;
        string Name(string kind) => $"fig{++figures:D2}-{kind}";
        page.Heading(1, $"lrbs report: {data.Folder}");
        ProtocolSection.Write(page, data);
        Inputs(page, data);
        // groups in the sweep's plan order: a study's main series first
        foreach (var group in data.Trials.GroupBy(t => t.Group).OrderBy(g => data.FirstPlanned(g)).ThenBy(g => g.Key, StringComparer.Ordinal))
        {
            page.Heading(2, group.Key);
            var trials = group.ToList();
            var schedules = trials.Select(t => t.Schedule).Distinct().ToList();
            if (schedules.Count > 1) Regimes(page, data, trials, Name);
            foreach (var bySchedule in trials.GroupBy(t => t.Schedule))
            {
                var set = bySchedule.ToList();
                if (set.Select(t => (t.BatchSize, t.Lr)).Distinct().Count() < 2) continue;
                if (schedules.Count > 1) page.Heading(3, $"schedule {bySchedule.Key}");
                Grid(page, set, Name);
            }
            Curves(page, data, trials.Where(slice.Contains).ToList(), slice.Text, Name);
            Timing(page, trials, Name);
            Steps(page, data, trials, options.Target, Name);
            if (data.HasPredictions && trials[0].Metric == "iou") BoxErrors(page, data, trials, Name);
        }
        if (options.CompareTable is not null) Compare.Section(page, data, options.CompareTable, Name);
        Failures(page, data);
        return page;
    }

    static void Inputs(Page page, ReportData data)
    {
        page.Heading(2, "Inputs");
        page.Paragraph($"Every number below is computed from the Parquet parts of {data.Folder}: " +
            string.Join(", ", data.Parts.Where(p => p.Value > 0).Select(p => $"{p.Value} {p.Key} parts")) +
            $". This report was made by lrbs at code version {Lrbs.Host.Cli.CodeVersion.Current}; the trials by the versions below.");
        page.Table(["code version", "trials"], data.Trials.GroupBy(t => t.CodeVersion).OrderBy(g => g.Key).Select(g => (IReadOnlyList<string>)[g.Key, g.Count().ToString()]));
        page.Table(["machine", "trials"], data.Trials.GroupBy(t => t.Machine).Select(g => (IReadOnlyList<string>)[g.Key, g.Count().ToString()]));
        page.Table(["status", "trials"], data.Trials.GroupBy(t => t.Status).OrderBy(g => g.Key).Select(g => (IReadOnlyList<string>)[g.Key, g.Count().ToString()]));
    }

    /// <summary>A cell's finished values (a diverged or failed repeat scores 0 for the fit).</summary>
    static double[] Values(IEnumerable<TrialRow> cell, bool badAsZero) =>
        cell.Where(t => t.Finished || badAsZero).Select(t => t.Finished ? t.TestMetric ?? 0 : 0).ToArray();

    static string CellText(IReadOnlyList<TrialRow> cell, Func<TrialRow, double?> value)
    {
        var good = cell.Where(t => t.Finished && value(t) is not null).Select(t => value(t)!.Value).ToArray();
        var bad = cell.Count(t => !t.Finished);
        if (good.Length == 0) return cell.Any(t => t.Status == "diverged") ? "diverged" : "failed";
        var text = Page.F(Statistics.mean(good)) + (good.Length > 1 ? " ± " + Page.F(Statistics.std(good)) : "");
        return bad > 0 ? $"{text} ({bad}/{cell.Count} {(cell.Any(t => t.Status == "diverged") ? "diverged" : "failed")})" : text;
    }

    static void Grid(Page page, IReadOnlyList<TrialRow> trials, Func<string, string> name)
    {
        var metric = trials[0].Metric;
        var batches = trials.Select(t => t.BatchSize).Distinct().Order().ToList();
        var lrs = trials.Select(t => t.Lr).Distinct().Order().ToList();
        var cells = trials.GroupBy(t => (t.BatchSize, t.Lr)).ToDictionary(g => g.Key, g => (IReadOnlyList<TrialRow>)g.ToList());
        double Mean((int, double) key) => cells.TryGetValue(key, out var c) && Values(c, false) is { Length: > 0 } v ? Statistics.mean(v) : double.NaN;
        var bestOfColumn = lrs.ToDictionary(lr => lr, lr => batches.Select(b => Mean((b, lr))).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max());
        var (fewest, repeats) = (cells.Values.Min(c => c.Count), cells.Values.Max(c => c.Count));
        page.Table(["batch \\ lr", .. lrs.Select(Page.Lr)],
            batches.Select(b => (IReadOnlyList<string>)[b.ToString(), .. lrs.Select(lr =>
                !cells.TryGetValue((b, lr), out var c) ? "" : (Mean((b, lr)) == bestOfColumn[lr] ? "**" : "") + CellText(c, t => t.TestMetric))]),
            $"test {metric}{(repeats > 1 ? $", mean ± std over {(fewest < repeats ? $"{fewest} to " : "")}{repeats} repeats" : "")}; ★ the best of each column");
        if (trials.Any(t => t.ValLoss is not null))
            page.Table(["batch \\ lr", .. lrs.Select(Page.Lr)],
                batches.Select(b => (IReadOnlyList<string>)[b.ToString(), .. lrs.Select(lr =>
                    !cells.TryGetValue((b, lr), out var c) ? "" : CellText(c, t => t.FinalTrainLoss) + " / " + CellText(c, t => t.ValLoss))]),
                "final training loss / validation loss");

        // the scaling rule lr* ~ B^k
        var fitCells = cells.Select(kv => new ScalingFit.Cell(kv.Key.BatchSize, kv.Key.Lr, Values(kv.Value, true))).Where(c => c.Values.Length > 0).ToArray();
        var testRows = trials[0].TestRows;
        var fit = batches.Count >= 2 && lrs.Count >= 2
            ? ScalingFit.fit(fitCells, Microsoft.FSharp.Core.FuncConvert.FromFunc<ScalingFit.Cell, double>(c =>
                metric is "accuracy" or "exact_match" ? Statistics.binomialError(Math.Clamp(Statistics.mean(c.Values), 0, 1), testRows) : 0.0), 1UL)?.Value
            : null;
        var lrBounds = HeatMap.bounds(lrs.ToArray());
        var batchBounds = HeatMap.bounds(batches.Select(x => (double)x).ToArray());
        var heat = cells.Select(kv =>
        {
            var (b, lr) = kv.Key;
            var ((lrLo, lrHi), (bLo, bHi)) = (lrBounds[lrs.IndexOf(lr)].ToValueTuple(), batchBounds[batches.IndexOf(b)].ToValueTuple());
            var mean = Mean(kv.Key);
            return (object)new { lr, batch = b, lr_lo = lrLo, lr_hi = lrHi, b_lo = bLo, b_hi = bHi,
                value = double.IsFinite(mean) ? mean : (double?)null, text = double.IsFinite(mean) ? mean.ToString("0.00", Inv) : "div", label = $"B={b} lr={Page.Lr(lr)}: {CellText(kv.Value, t => t.TestMetric)}" };
        }).ToList();
        var best = fit?.Best.Select(p => (object)new { batch = p.Item1, lr = p.Item2 }).ToList() ?? [];
        var line = new List<object>();
        if (fit is not null && PowerLaw.fit(fit.Best.Select(p => (double)p.Item1).ToArray(), fit.Best.Select(p => p.Item2).ToArray())?.Value is { } law)
            foreach (var b in new[] { batches[0], batches[^1] }) line.Add(new { batch = b, lr = law.At(b) });
        var middle = HeatMap.middle(cells.Keys.Select(Mean).ToArray());
        page.Add(new Figure(name("heatmap"), Figures.HeatMap($"test {metric}: {trials[0].Group}", metric, heat, best, line, middle),
            $"Test {metric} over the grid on log axes; red: the best learning rate of each batch size (parabola vertex in log lr); dashed: the fitted lr ∝ B^k."));
        if (fit is null)
        {
            page.Paragraph("No scaling exponent: the grid needs at least two batch sizes and two learning rates with finished trials.");
            return;
        }
        page.Paragraph((ScalingFit.measured(fit)
                ? $"Fitted scaling exponent: k = {fit.K:0.00} ({(fit.Interval?.Value is { } i ? $"95% interval {i.Low:0.00} to {i.High:0.00}, " : "")}{fit.Method}). {ScalingFit.verdict(fit)} "
                : $"{ScalingFit.verdict(fit)} ") +
            "The best learning rate of each batch size is the vertex of the parabola through the best cell and its neighbours in log lr.");
        page.Table(["batch size", "best lr"], fit.Best.Select(p => (IReadOnlyList<string>)[p.Item1.ToString(), p.Item2.ToString("G3", Inv)]));
    }

    /// <summary>Mean and spread over repeats of a per-epoch measure, per series.</summary>
    static IEnumerable<object> Bands(IEnumerable<(string Series, IReadOnlyList<EpochRow> Epochs)> trials, IReadOnlyList<(string Field, Func<EpochRow, double?> Value)> measures, Func<EpochRow, double>? x = null) =>
        from t in trials.GroupBy(t => t.Series)
        from m in measures
        from e in t.SelectMany(r => r.Epochs).GroupBy(e => x?.Invoke(e) ?? e.Epoch)
        let v = e.Select(m.Value).Where(v => v is double d && double.IsFinite(d)).Select(v => v!.Value).ToArray()
        where v.Length > 0
        let mean = Statistics.mean(v)
        let sd = Statistics.std(v)
        select (object)new { series = t.Key, measure = m.Field, epoch = e.Key, x = e.Key, mean, lo = mean - sd, hi = mean + sd };

    static IReadOnlyList<EpochRow> EpochsOf(ReportData data, string id) => data.Epochs.Where(e => e.Id == id).ToList();

    static void Curves(Page page, ReportData data, IReadOnlyList<TrialRow> trials, string? slice, Func<string, string> name)
    {
        if (trials.Count == 0) return;
        // default slice: the best learning rate of each batch size; with --slice, every cell in it
        var chosen = slice is not null
            ? trials.GroupBy(t => (t.BatchSize, t.Lr, t.Schedule)).SelectMany(g => g).ToList()
            : trials.GroupBy(t => (t.BatchSize, t.Schedule)).SelectMany(row => row.GroupBy(t => t.Lr)
                .OrderByDescending(cell => Values(cell, false) is { Length: > 0 } v ? Statistics.mean(v) : double.NegativeInfinity).First()).ToList();
        var schedules = trials.Select(t => t.Schedule).Distinct().Count() > 1;
        var series = chosen.Select(t => ($"B={t.BatchSize} lr={Page.Lr(t.Lr)}" + (schedules ? $" {t.Schedule}" : ""), EpochsOf(data, t.Id))).ToList();
        var measures = new List<(string, Func<EpochRow, double?>)> { ("train_loss", e => e.TrainLoss) };
        if (data.Epochs.Any(e => e.ValLoss is not null) && chosen.Any(t => EpochsOf(data, t.Id).Any(e => e.ValLoss is not null))) measures.Add(("val_loss", e => e.ValLoss));
        measures.Add(("test_metric", e => e.TestMetric));
        var points = Bands(series, measures).ToList();
        if (points.Count == 0) return;
        page.Add(new Figure(name("curves"), Figures.Curves($"learning curves: {trials[0].Group}" + (slice is null ? " (best lr of each batch size)" : $" ({slice})"), points,
            measures.Select(m => (m.Item1, m.Item1.Replace('_', ' ').Replace("metric", trials[0].Metric))).ToList()),
            "Per epoch: training loss" + (measures.Count == 3 ? ", validation loss" : "") + $" and test {trials[0].Metric}; lines are means and bands ±1 standard deviation over repeats."));
    }

    static void Timing(Page page, IReadOnlyList<TrialRow> trials, Func<string, string> name)
    {
        var done = trials.Where(t => t.Finished && t.Epochs > 0).ToList();
        if (done.Select(t => t.BatchSize).Distinct().Count() < 2) return;
        var series = new (string Name, Func<TrialRow, double> Y)[]
        {
            ("seconds per trial", t => t.WallSeconds),
            ("training seconds per epoch", t => (t.TrainSeconds ?? 0) / t.Epochs),
        };
        var points = new List<object>();
        var lines = new List<object>();
        var slopes = new List<string>();
        foreach (var (s, y) in series)
        {
            var xs = done.Select(t => (double)t.BatchSize).ToArray();
            var ys = done.Select(y).ToArray();
            points.AddRange(done.Select(t => (object)new { x = t.BatchSize, y = y(t), series = s }));
            if (PowerLaw.fit(xs, ys)?.Value is { } law)
            {
                slopes.Add($"{s}: slope {law.Slope:0.00}");
                foreach (var x in new[] { xs.Min(), xs.Max() }) lines.Add(new { x, y = law.At(x), series = $"fit: {s}" });
            }
        }
        page.Add(new Figure(name("time"), Figures.LogLog($"time against batch size: {trials[0].Group}", points, lines, "batch size", "seconds"),
            "Wall time per trial and training time per epoch against batch size, log-log, with least-squares lines (slope -1 would be time ∝ 1/B)."));
        page.Paragraph("Fitted log-log slopes: " + string.Join("; ", slopes) + "." +
            (done.Any(t => t.PackSize > 1) ? " Some trials trained in packs: their wall time is the pack's." : ""));
    }

    /// <summary>Finished trials as StepsToTarget runs: final test metric (0 when none) and per epoch (steps, test metric or NaN).</summary>
    static StepsToTarget.Run[] Runs(ReportData data, IReadOnlyList<TrialRow> done)
    {
        var epochs = data.Epochs.ToLookup(e => e.Id);
        return done.Select(t => new StepsToTarget.Run(t.BatchSize, t.Lr, t.TestMetric ?? 0,
            epochs[t.Id].Select(e => Tuple.Create(e.Steps, e.TestMetric ?? double.NaN)).ToArray())).ToArray();
    }

    static void Steps(Page page, ReportData data, IReadOnlyList<TrialRow> trials, double? target, Func<string, string> name)
    {
        var done = trials.Where(t => t.Finished).ToList();
        if (done.Select(t => t.BatchSize).Distinct().Count() < 2 || trials.Select(t => t.Schedule).Distinct().Count() > 1) return;
        var metric = trials[0].Metric;
        var runs = Runs(data, done);
        var (goal, idle) = StepsToTarget.goal(target is double t ? FSharpOption<double>.Some(t) : FSharpOption<double>.None, runs) is var g ? (g.Target, g.Idle) : default;
        if (!double.IsFinite(goal))
        {
            page.Heading(3, "steps to a target");
            page.Paragraph($"No default target: at no batch size did any learning rate improve test {metric} on its first epoch. Give one with --target.");
            return;
        }
        var (found, missing) = StepsToTarget.fewestSteps(goal, runs) is var table ? (table.Found, table.Missing) : default;
        page.Heading(3, $"steps to reach test {metric} {goal:0.0000}");
        page.Paragraph((target is null ? $"Target: {goal:0.0000}, the lowest of the batch sizes' best final test {metric} (override with --target)" +
                (idle.Length > 0 ? $", leaving out batch size {string.Join(", ", idle)}, where no learning rate improved on its first epoch. " : ". ") : "") +
            "Steps are the updates up to the end of the first epoch at or above the target (the median over repeats, when more than half reach it), minimised over learning rates; " +
            "where doubling the batch stops halving the steps, larger batches stop paying (Shallue et al. 2019)." +
            (missing.Length > 0 ? $" Note: batch size {string.Join(", ", missing)} never reaches the target." : ""));
        if (found.Length == 0) return;
        page.Table(["batch size", "best lr", "steps", "examples"], found.Select(f => (IReadOnlyList<string>)[f.Batch.ToString(), Page.Lr(f.Lr), f.Steps.ToString("0", Inv), (f.Steps * f.Batch).ToString("0", Inv)]));
        var points = found.Select(p => (object)new { x = p.Batch, y = p.Steps, series = "steps to target (best lr)" }).ToList();
        var lines = new[] { found[0].Batch, found[^1].Batch }
            .Select(b => (object)new { x = (double)b, y = StepsToTarget.perfectScaling(found[0], b), series = "perfect scaling (steps ∝ 1/B)" }).ToList();
        page.Add(new Figure(name("steps"), Figures.LogLog($"steps to target: {trials[0].Group}", points, lines, "batch size", "steps"),
            "Steps to reach the target against batch size, log-log; dashed: perfect scaling from the smallest batch size."));
        CriticalBatchSection.Write(page, data, done, runs, goal, found, name);
    }

    /// <summary>Schedule regimes side by side (S6): final metrics per regime, their curves, and
    /// per-label (or per-class) precision, recall, F1 and support from the test predictions.</summary>
    static void Regimes(Page page, ReportData data, IReadOnlyList<TrialRow> trials, Func<string, string> name)
    {
        page.Heading(3, "training regimes, on equal epochs");
        var metric = trials[0].Metric;
        var last = trials.ToDictionary(t => t.Id, t => EpochsOf(data, t.Id).LastOrDefault());
        string MeanStd(IEnumerable<double?> values, string format = "0.0000")
        {
            var v = values.Where(x => x is double d && double.IsFinite(d)).Select(x => x!.Value).ToArray();
            if (v.Length == 0) return "–";
            var sd = Statistics.std(v);
            return Page.F(Statistics.mean(v), format) + (v.Length > 1 && sd > 0 ? " ± " + Page.F(sd, format) : "");
        }
        page.Table(["schedule", "trials", "epochs", $"train {metric}", $"validation {metric}", $"test {metric}"],
            trials.GroupBy(t => t.Schedule).Select(g => (IReadOnlyList<string>)[g.Key, g.Count().ToString(), MeanStd(g.Select(t => (double?)t.Epochs), "0.#"),
                MeanStd(g.Select(t => last[t.Id]?.TrainMetric)), MeanStd(g.Select(t => last[t.Id]?.ValMetric)), MeanStd(g.Select(t => t.TestMetric))]),
            "mean ± std over repeats, at the end of training");
        var series = trials.Select(t => (t.Schedule, EpochsOf(data, t.Id))).ToList();
        page.Add(new Figure(name("regimes"), Figures.Curves("regimes: validation loss, learning rate and batch size per epoch",
            Bands(series, [("val_loss", e => e.ValLoss), ("lr", e => e.Lr), ("batch_size", e => e.BatchSize)]).ToList(),
            [("val_loss", "validation loss"), ("lr", "learning rate"), ("batch_size", "batch size")]),
            "Per regime (mean and ±1 std over repeats): the validation loss, and the learning rate and batch size each schedule set."));
        if (!data.HasPredictions) return;
        var perTrial = trials.Select(t => (t.Schedule, Reports: LabelReports(data, t.Id))).Where(p => p.Reports is not null).ToList();
        if (perTrial.Count == 0) return;
        var single = perTrial[0].Reports!.Value.SingleLabel;
        page.Table(["schedule", single ? "class" : "label", "precision", "recall", "F1", "support"],
            perTrial.SelectMany(p => p.Reports!.Value.Labels.Select((label, j) => (p.Schedule, Label: label, Report: p.Reports.Value.Reports[j])))
                .GroupBy(r => (r.Schedule, r.Label)).OrderBy(g => g.Key.Schedule).ThenBy(g => g.Key.Label, StringComparer.Ordinal).Select(g =>
                    (IReadOnlyList<string>)[g.Key.Schedule, g.Key.Label, Page.F(Statistics.mean(g.Select(r => r.Report.Precision).ToArray())),
                        Page.F(Statistics.mean(g.Select(r => r.Report.Recall).ToArray())), Page.F(Statistics.mean(g.Select(r => r.Report.F1).ToArray())),
                        Statistics.mean(g.Select(r => (double)r.Report.Support).ToArray()).ToString("0", Inv)]),
            "test set, mean over repeats (0/0 counts as 0, as scikit-learn)");
        page.Table(["schedule", "all labels right"], perTrial.GroupBy(p => p.Schedule).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (IReadOnlyList<string>)[g.Key, Page.F(Statistics.mean(g.Select(p => p.Reports!.Value.Exact).ToArray()))]),
            "the fraction of test examples with every label right (single-label: the accuracy)");
    }

    /// <summary>A trial's per-label (or per-class) precision, recall, F1 and support from its test
    /// predictions (Metrics.multiLabel / Metrics.classReports), or null without label predictions.</summary>
    static (bool SingleLabel, string[] Labels, Metrics.LabelReport[] Reports, double Exact)? LabelReports(ReportData data, string id)
    {
        var labels = data.Rows<LabelPredictionRow>($"SELECT * FROM predictions WHERE trial_id = {Sql.Literal(id)} AND truth IS NOT NULL ORDER BY row, label", "truth");
        if (labels.Count > 0)
        {
            var names = labels.Select(r => r.Label).Distinct().Order(StringComparer.Ordinal).ToArray();
            var (reports, exact) = Metrics.multiLabel(labels.Select(r => (float)r.Probability).ToArray(), labels.Select(r => r.Truth ? 1f : 0f).ToArray(), names.Length).ToValueTuple();
            return (false, names, reports, exact);
        }
        var classes = data.Rows<ClassPredictionRow>($"SELECT * FROM predictions WHERE trial_id = {Sql.Literal(id)} AND confidence IS NOT NULL ORDER BY row", "confidence");
        if (classes.Count == 0) return null;
        var all = classes.SelectMany(r => new[] { r.Label, r.Predicted }).Distinct().Order(StringComparer.Ordinal).ToArray();
        var index = all.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
        var (r2, accuracy) = Metrics.classReports(classes.Select(r => index[r.Predicted]).ToArray(), classes.Select(r => index[r.Label]).ToArray(), all.Length).ToValueTuple();
        // the classes of the test set (a class only ever predicted has no support to report)
        var shown = all.Where(c => classes.Any(r => r.Label == c)).ToArray();
        return (true, shown, shown.Select(c => r2[index[c]]).ToArray(), accuracy);
    }

    /// <summary>S7's follow-up: the error (1 - IoU) by level, against the true box's smallest side, width and height.</summary>
    static void BoxErrors(Page page, ReportData data, IReadOnlyList<TrialRow> trials, Func<string, string> name)
    {
        var ids = string.Join(", ", trials.Select(t => $"'{t.Id}'"));
        var cols = data.Query("SELECT column_name FROM (DESCRIBE predictions)").Rows.Select(r => r[0]).ToHashSet();
        if (!cols.Contains("min_side")) return;
        var count = data.Query($"SELECT count(*), count(DISTINCT trial_id) FROM predictions WHERE trial_id IN ({ids})").Rows[0];
        if (count[0] == "0") return;
        page.Heading(3, "box errors on the test set");
        string[] levels = ["negligible", "low", "medium", "big"];
        var byLevel = data.Query($"SELECT level, count(*) FROM predictions WHERE trial_id IN ({ids}) GROUP BY 1").Rows.ToDictionary(r => r[0]!, r => ReportData.Num(r[1]));
        var total = byLevel.Values.Sum();
        page.Paragraph($"{count[0]} test boxes of {count[1]} trial(s). Error = 1 - IoU; levels: negligible <= 0.1 < low <= 0.2 < medium <= 0.3 < big.");
        page.Table(["level", "boxes", "share"], levels.Select(l => (IReadOnlyList<string>)[l, byLevel.GetValueOrDefault(l).ToString("0", Inv), Page.F(byLevel.GetValueOrDefault(l) / total, "0.000")]));
        var binRows = data.Query($"SELECT floor(min_side * 128 / 8) * 8 AS side, level, count(*) FROM predictions WHERE trial_id IN ({ids}) GROUP BY ALL ORDER BY 1, 2").Rows
            .Select(r => (Side: $"{ReportData.Num(r[0]):0}-{ReportData.Num(r[0]) + 7:0}", Level: r[1], Boxes: ReportData.Num(r[2]))).ToList();
        var bins = binRows.Select(b => (object)new { side = b.Side, level = b.Level, boxes = b.Boxes }).ToList();
        var sideOrder = binRows.Select(b => b.Side).Distinct().ToArray();
        page.Add(new Figure(name("box-levels"), Figures.Bars("error level against the smallest side of the true box", bins, "side", "smallest side of the true box (pixels)", "boxes", "test boxes", "level", levels, sideOrder),
            "Test boxes by the true box's smallest side (8-pixel bins) and error level."));
        // at most 3,000 points, the same ones on every run (a committed figure must not change by itself)
        var points = data.Query($"SELECT width, height, error, level FROM predictions WHERE trial_id IN ({ids}) ORDER BY hash(trial_id, row) LIMIT 3000").Rows
            .Select(r => (object)new { width = ReportData.Num(r[0]) * 128, height = ReportData.Num(r[1]) * 128, error = ReportData.Num(r[2]), level = r[3] }).ToList();
        page.Add(new Figure(name("box-scatter"), Figures.Scatter("error against the true box's width and height", points, [("width", "width (pixels)"), ("height", "height (pixels)")], "error", "error (1 - IoU)"),
            "Each test box's error against its true width and height (up to 3,000 boxes)."));
    }

    static void Failures(Page page, ReportData data)
    {
        page.Heading(2, "Failed and diverged trials");
        var bad = data.Trials.Where(t => !t.Finished).ToList();
        if (bad.Count == 0) { page.Paragraph("None: every trial finished (ok or stopped early)."); return; }
        page.Table(["trial", "study slice", "batch", "lr", "seed", "status", "epochs", "why"],
            bad.Select(t => (IReadOnlyList<string>)[t.Id, t.Group, t.BatchSize.ToString(), Page.Lr(t.Lr), t.Seed.ToString(), t.Status, t.Epochs.ToString(),
                t.Status == "diverged" ? "the epoch loss became NaN or infinite" + (t.Epochs > 0 ? $" after epoch {t.Epochs}" : " in the first epoch") : t.Error ?? ""]));
    }
}
