using Lrbs.Core.Data;

namespace Lrbs.Host.Report;

/// <summary>The report's opening note: how the numbers were made, read from the trial rows
/// themselves (data source, pool, split, evaluation, loss, optimizers in the sweep's plan order,
/// schedule and stopping rule, repeats, code versions), so that a reader sees the protocol
/// before the results.</summary>
public static class ProtocolSection
{
    public static void Write(Page page, ReportData data)
    {
        var t = data.Trials;
        page.Heading(2, "Protocol");
        var lines = new List<IReadOnlyList<string>>();
        foreach (var d in t.GroupBy(r => (r.Dataset, r.DataDir)))
        {
            var source = d.Key.DataDir is { } dir ? $"read from {dir}" : Analyses.DatasetInfo(d.Key.Dataset)?.Description ?? "unknown dataset";
            lines.Add(["Data", $"{d.Key.Dataset} ({source})."]);
        }
        lines.Add(["Pool and split", $"{Each(t.OrderBy(r => r.Pool ?? int.MaxValue), r => r.Pool is int p ? $"a seeded pool of {p:N0} rows" : "all rows")}, split {Each(t, r => r.Split)} " +
                  $"(data seed {Each(t, r => r.DataSeed.ToString())}); {Range(t.Select(r => r.TrainRows))} training rows, " +
                  $"{Range(t.Select(r => r.TestRows))} test rows evaluated."]);
        var evaluation = Each(t, r => (r.EvalBatches == "whole" ? "whole batches of the batch size (the last partial batch dropped)" : "every test row") +
            (r.TestLimit is int n ? $" of a seeded draw of {n:N0} test rows (test_limit)" : ""));
        lines.Add(["Evaluation", $"{evaluation}, at the end of every epoch; the results are the last epoch's."]);
        var searches = data.Searches.Values.Distinct().ToList();
        var uneven = t.GroupBy(r => (r.Group, r.Schedule)).Any(g => g.GroupBy(r => r.BatchSize).Select(row => string.Join(",", row.Select(r => r.Lr).Distinct().Order())).Distinct().Count() > 1);
        lines.Add(["Learning rates", searches.Count > 0
            ? $"searched per batch size (and per every other key of the grid) by `lr: {{bracket: ...}}`: {string.Join("; ", searches)}. Round 0 runs the bracket's log-spaced points; " +
              "while the best is at an end, one step outward (at most max_extend); then golden-section points between the best and its wider side until both neighbours are within refine_to or within noise (at most max_refine)."
            : uneven ? "different learning rates per batch size (a search or a hand-made list; the settings are not recorded in this folder's manifest)."
            : (t.Select(r => r.Lr).Distinct().Count() is var n && n == 1 ? $"one learning rate, {Page.Lr(t[0].Lr)}, at every batch size." : $"a fixed grid of {n} learning rates, the same at every batch size.")]);
        lines.Add(["Loss", $"{Each(t, Loss)}."]);
        var optimizers = t.GroupBy(r => r.Optimizer).OrderBy(g => data.FirstPlanned(g)).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key);
        lines.Add(["Optimizers, in the sweep's plan order", $"{string.Join(", then ", optimizers)}."]);
        lines.Add(["Schedule", $"{Each(t, r => r.Schedule)}."]);
        lines.Add(["Stopping", $"{Each(t, Stopping)}."]);
        var repeats = t.GroupBy(r => (r.Group, r.Schedule, r.BatchSize, r.Lr)).Select(c => c.Count()).ToList();
        lines.Add(["Repeats", $"{Range(repeats)} seed(s) per cell, {t.Count} trials." + (repeats.Count > 0 && repeats.Max() == 1 ? " With one seed, no interval can hold seed-to-seed variation." : "")]);
        var chance = t.Where(r => r.ChanceMetric is not null).Select(r => r.ChanceMetric!.Value).ToList();
        lines.Add(["Chance level", chance.Count == 0 ? "not recorded (trials committed before lrbs recorded it, their data not at hand)."
            : $"a constant prediction's test metric on the rows evaluated: {string.Join(", ", chance.Select(c => c.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)).Distinct())}; " +
              "a trial within two standard errors of it, or whose training loss ended above its first epoch's, is collapsed."]);
        var versions = t.GroupBy(r => r.CodeVersion).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ({g.Count()} trials)");
        lines.Add(["Code", $"{string.Join(", ", versions)}."]);
        page.Table(["", "how the numbers were made"], lines, text: true);
    }

    static string Loss(TrialRow r) => r.Metric switch
    {
        "iou" => $"1 - IoU in its {r.BoxLoss} form; the metric is the exact IoU",
        "exact_match" => $"binary cross-entropy ({Form(r.CrossEntropy)}); the metric is the share of rows with every label right",
        _ => $"categorical cross-entropy ({Form(r.CrossEntropy)}); the metric is accuracy",
    };

    static string Form(string crossEntropy) => crossEntropy == "logits" ? "from the logits, as tf.keras" : "from clipped probabilities, as TensorFlow.js";

    static string Stopping(TrialRow r)
    {
        var rules = new List<string> { $"at most {r.MaxEpochs} epochs" };
        if (r.Stabilisation?.Split(':') is [var delta, var patience])
            rules.Add($"or when the epoch training loss changes by less than {delta} for {patience} consecutive epochs");
        if (r.EarlyStopping?.Split(':') is [var p, var minDelta])
            rules.Add($"or after {p} epochs in which the {(r.EarlyStoppingMonitor == "loss" ? "training" : "validation")} loss did not improve on its best by more than {minDelta} " +
                $"(Keras EarlyStopping, monitor {r.EarlyStoppingMonitor})");
        return string.Join(", ", rules);
    }

    /// <summary>The distinct values of a column, in the order of first appearance, joined.</summary>
    static string Each(IEnumerable<TrialRow> rows, Func<TrialRow, string> value) => string.Join("; ", rows.Select(value).Distinct());

    static string Range(IEnumerable<int> values)
    {
        var v = values.ToList();
        if (v.Count == 0) return "no";
        var (lo, hi) = (v.Min(), v.Max());
        return lo == hi ? $"{lo:N0}" : $"{lo:N0} to {hi:N0}";
    }
}
