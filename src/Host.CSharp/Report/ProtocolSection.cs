using Lrbs.Core.Data;
using Lrbs.Host.Storage.Rows;

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
            var source = d.Key.DataDir is { } dir ? $"read from {dir}" : Registry.tryInfo(d.Key.Dataset)?.Value.Description ?? "unknown dataset";
            lines.Add(["Data", $"{d.Key.Dataset} ({source})."]);
        }
        lines.Add(["Pool and split", $"{Each(t, r => r.Pool is int p ? $"a seeded pool of {p:N0} rows" : "all rows")}, split {Each(t, r => r.Split)} " +
                  $"(data seed {Each(t, r => r.DataSeed.ToString())}); {Range(t.Select(r => r.TrainRows))} training rows, " +
                  $"{Range(t.Select(r => r.TestRows))} test rows evaluated."]);
        var evaluation = Each(t, r => r.EvalBatches == "whole" ? "whole batches of the batch size (the last partial batch dropped)" : "every test row");
        lines.Add(["Evaluation", $"{evaluation}, after the last epoch."]);
        lines.Add(["Loss", $"{Each(t, Loss)}."]);
        var optimizers = t.GroupBy(r => r.Optimizer).OrderBy(g => data.FirstPlanned(g)).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key);
        lines.Add(["Optimizers, in the sweep's plan order", $"{string.Join(", then ", optimizers)}."]);
        lines.Add(["Schedule", $"{Each(t, r => r.Schedule)}."]);
        lines.Add(["Stopping", $"{Each(t, Stopping)}."]);
        var repeats = t.GroupBy(r => (r.Group, r.Schedule, r.BatchSize, r.Lr)).Select(c => c.Count()).ToList();
        lines.Add(["Repeats", $"{Range(repeats)} seed(s) per cell, {t.Count} trials."]);
        var versions = t.GroupBy(r => r.CodeVersion).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ({g.Count()} trials)");
        lines.Add(["Code", $"{string.Join(", ", versions)}."]);
        page.Table(["", "how the numbers were made"], lines);
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
            rules.Add($"or after {p} epochs without a validation-loss improvement of more than {minDelta}");
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
