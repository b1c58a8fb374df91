using Lrbs.Core.Data;
using Lrbs.Core.Losses;

namespace Lrbs.Host.Storage.Rows;

/// <summary>OUT/class_predictions/ID.parquet, for class targets: one row per test example.</summary>
public sealed class ClassPredictionRow
{
    [Meaning("The results schema this row was written in (lrbs-results/N); every part of a folder has the same")]
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [Meaning("The trial (trials.trial_id)")]
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [Meaning("The test example, from 0, in the test partition's order")]
    [JsonPropertyName("row")] public int Row { get; set; }
    [Meaning("The true class name")]
    [JsonPropertyName("label")] public string Label { get; set; } = "";
    [Meaning("The predicted class name (the largest output)")]
    [JsonPropertyName("predicted")] public string Predicted { get; set; } = "";
    [Meaning("The softmax output of the predicted class")]
    [JsonPropertyName("confidence")] public double Confidence { get; set; }
    [Meaning("Whether the predicted class is the true one")]
    [JsonPropertyName("correct")] public bool Correct { get; set; }
}

/// <summary>OUT/label_predictions/ID.parquet, for multi-label targets: one row per test example and label.</summary>
public sealed class LabelPredictionRow
{
    [Meaning("The results schema this row was written in (lrbs-results/N); every part of a folder has the same")]
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [Meaning("The trial (trials.trial_id)")]
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [Meaning("The test example, from 0, in the test partition's order")]
    [JsonPropertyName("row")] public int Row { get; set; }
    [Meaning("The attribute")]
    [JsonPropertyName("label")] public string Label { get; set; } = "";
    [Meaning("Whether the example has the attribute")]
    [JsonPropertyName("truth")] public bool Truth { get; set; }
    [Meaning("The sigmoid output for the attribute")]
    [JsonPropertyName("probability")] public double Probability { get; set; }
    [Meaning("Whether the probability is above 0.5")]
    [JsonPropertyName("predicted")] public bool Predicted { get; set; }
}

/// <summary>OUT/box_predictions/ID.parquet, for boxes: one row per test example, with S7's error analysis: error = 1 - the exact
/// IoU (whatever form of 1 - IoU the trial trained on), the true box's width, height and smallest
/// side (in [0, 1]) and the error level (negligible &lt;= 0.1 &lt; low &lt;= 0.2 &lt; medium &lt;= 0.3 &lt; big).</summary>
public sealed class BoxPredictionRow
{
    [Meaning("The results schema this row was written in (lrbs-results/N); every part of a folder has the same")]
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [Meaning("The trial (trials.trial_id)")]
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [Meaning("The test example, from 0, in the test partition's order")]
    [JsonPropertyName("row")] public int Row { get; set; }
    [Meaning("The true box's left edge, normalised to [0, 1]")]
    [JsonPropertyName("true_x1")] public double TrueX1 { get; set; }
    [Meaning("The true box's top edge, normalised to [0, 1]")]
    [JsonPropertyName("true_y1")] public double TrueY1 { get; set; }
    [Meaning("The true box's right edge, normalised to [0, 1]")]
    [JsonPropertyName("true_x2")] public double TrueX2 { get; set; }
    [Meaning("The true box's bottom edge, normalised to [0, 1]")]
    [JsonPropertyName("true_y2")] public double TrueY2 { get; set; }
    [Meaning("The predicted left edge; null when not finite")]
    [JsonPropertyName("pred_x1")] public double? PredX1 { get; set; }
    [Meaning("The predicted top edge; null when not finite")]
    [JsonPropertyName("pred_y1")] public double? PredY1 { get; set; }
    [Meaning("The predicted right edge; null when not finite")]
    [JsonPropertyName("pred_x2")] public double? PredX2 { get; set; }
    [Meaning("The predicted bottom edge; null when not finite")]
    [JsonPropertyName("pred_y2")] public double? PredY2 { get; set; }
    [Meaning("The exact IoU of the predicted and the true box (widths clamped at 0); null when not finite")]
    [JsonPropertyName("iou")] public double? Iou { get; set; }
    [Meaning("1 - iou")]
    [JsonPropertyName("error")] public double? Error { get; set; }
    [Meaning("The true box's width (x2 - x1)")]
    [JsonPropertyName("width")] public double Width { get; set; }
    [Meaning("The true box's height (y2 - y1)")]
    [JsonPropertyName("height")] public double Height { get; set; }
    [Meaning("The true box's smaller side")]
    [JsonPropertyName("min_side")] public double MinSide { get; set; }
    [Meaning("The error level: negligible <= 0.1 < low <= 0.2 < medium <= 0.3 < big")]
    [JsonPropertyName("level")] public string Level { get; set; } = "";
}

/// <summary>The prediction rows of one trial's test outputs (rows x outputs, row-major).</summary>
public static class PredictionRows
{
    /// <summary>The table that holds predictions of these targets.</summary>
    public static ResultsTable TableFor(Targets targets) => targets switch
    {
        Targets.Classes => ResultsSchema.ClassPredictions,
        Targets.MultiLabel => ResultsSchema.LabelPredictions,
        Targets.Boxes => ResultsSchema.BoxPredictions,
        _ => throw new NotSupportedException("unknown targets"),
    };

    /// <summary>Writes the part that fits the test partition's targets.</summary>
    public static void Write(string id, float[] outputs, Dataset test, string path)
    {
        switch (test.Targets)
        {
            case Targets.Classes c:
                {
                    var k = c.names.Length;
                    ParquetPart.Write(ResultsSchema.ClassPredictions, Enumerable.Range(0, test.Count).Select(i =>
                    {
                        var best = Metrics.argmaxRow(outputs, k, i);
                        return new ClassPredictionRow { Id = id, Row = i, Label = c.names[c.labels[i]], Predicted = c.names[best], Confidence = outputs[i * k + best], Correct = best == c.labels[i] };
                    }).ToList(), path);
                    return;
                }
            case Targets.MultiLabel m:
                {
                    var k = m.names.Length;
                    ParquetPart.Write(ResultsSchema.LabelPredictions, (from i in Enumerable.Range(0, test.Count)
                                                                       from j in Enumerable.Range(0, k)
                                                                       select new LabelPredictionRow
                                                                       {
                                                                           Id = id, Row = i, Label = m.names[j], Truth = m.values[i * k + j] > 0.5f,
                                                                           Probability = outputs[i * k + j], Predicted = outputs[i * k + j] > 0.5f,
                                                                       }).ToList(), path);
                    return;
                }
            case Targets.Boxes b:
                {
                    ParquetPart.Write(ResultsSchema.BoxPredictions, Enumerable.Range(0, test.Count).Select(i =>
                    {
                        var t = b.values[(i * 4)..(i * 4 + 4)];
                        var p = outputs[(i * 4)..(i * 4 + 4)];
                        var iou = TrialRow.Finite(Metrics.boxIoU(p, t));
                        double w = t[2] - t[0], h = t[3] - t[1];
                        return new BoxPredictionRow
                        {
                            Id = id, Row = i, TrueX1 = t[0], TrueY1 = t[1], TrueX2 = t[2], TrueY2 = t[3],
                            PredX1 = TrialRow.Finite(p[0]), PredY1 = TrialRow.Finite(p[1]), PredX2 = TrialRow.Finite(p[2]), PredY2 = TrialRow.Finite(p[3]),
                            Iou = iou, Error = 1 - iou, Width = w, Height = h, MinSide = Math.Min(w, h), Level = ResultsSchema.ErrorLevel(1 - (iou ?? 0)),
                        };
                    }).ToList(), path);
                    return;
                }
            default: throw new NotSupportedException("unknown targets");
        }
    }
}
