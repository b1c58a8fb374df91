using System.Text.Json.Serialization;
using Lrbs.Core.Data;
using Lrbs.Core.Losses;

namespace Lrbs.Host.Storage.Rows;

/// <summary>OUT/predictions/ID.parquet for class targets: one row per test example.</summary>
public sealed class ClassPredictionRow
{
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [JsonPropertyName("row")] public int Row { get; set; }
    [JsonPropertyName("label")] public string Label { get; set; } = "";
    [JsonPropertyName("predicted")] public string Predicted { get; set; } = "";
    [JsonPropertyName("confidence")] public double Confidence { get; set; }
    [JsonPropertyName("correct")] public bool Correct { get; set; }
}

/// <summary>For multi-label targets: one row per test example and label.</summary>
public sealed class LabelPredictionRow
{
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [JsonPropertyName("row")] public int Row { get; set; }
    [JsonPropertyName("label")] public string Label { get; set; } = "";
    [JsonPropertyName("truth")] public bool Truth { get; set; }
    [JsonPropertyName("probability")] public double Probability { get; set; }
    [JsonPropertyName("predicted")] public bool Predicted { get; set; }
}

/// <summary>For boxes: one row per test example, with S7's error analysis: error = 1 - the exact
/// IoU (whatever form of 1 - IoU the trial trained on), the true box's width, height and smallest
/// side (in [0, 1]) and the error level (negligible &lt;= 0.1 &lt; low &lt;= 0.2 &lt; medium &lt;= 0.3 &lt; big).</summary>
public sealed class BoxPredictionRow
{
    [JsonPropertyName("schema")] public string Schema { get; set; } = ResultsSchema.Version;
    [JsonPropertyName("trial_id")] public string Id { get; set; } = "";
    [JsonPropertyName("row")] public int Row { get; set; }
    [JsonPropertyName("true_x1")] public double TrueX1 { get; set; }
    [JsonPropertyName("true_y1")] public double TrueY1 { get; set; }
    [JsonPropertyName("true_x2")] public double TrueX2 { get; set; }
    [JsonPropertyName("true_y2")] public double TrueY2 { get; set; }
    [JsonPropertyName("pred_x1")] public double? PredX1 { get; set; }
    [JsonPropertyName("pred_y1")] public double? PredY1 { get; set; }
    [JsonPropertyName("pred_x2")] public double? PredX2 { get; set; }
    [JsonPropertyName("pred_y2")] public double? PredY2 { get; set; }
    [JsonPropertyName("iou")] public double? Iou { get; set; }
    [JsonPropertyName("error")] public double? Error { get; set; }
    [JsonPropertyName("width")] public double Width { get; set; }
    [JsonPropertyName("height")] public double Height { get; set; }
    [JsonPropertyName("min_side")] public double MinSide { get; set; }
    [JsonPropertyName("level")] public string Level { get; set; } = "";
}

/// <summary>The prediction rows of one trial's test outputs (rows x outputs, row-major).</summary>
public static class PredictionRows
{
    /// <summary>Writes the part that fits the test partition's targets.</summary>
    public static void Write(string id, float[] outputs, Dataset test, string path)
    {
        switch (test.Targets)
        {
            case Targets.Classes c:
            {
                var k = c.names.Length;
                ParquetPart.Write(Enumerable.Range(0, test.Count).Select(i =>
                {
                    var best = Metrics.argmaxRow(outputs, k, i);
                    return new ClassPredictionRow { Id = id, Row = i, Label = c.names[c.labels[i]], Predicted = c.names[best], Confidence = outputs[i * k + best], Correct = best == c.labels[i] };
                }).ToList(), path);
                return;
            }
            case Targets.MultiLabel m:
            {
                var k = m.names.Length;
                ParquetPart.Write((from i in Enumerable.Range(0, test.Count)
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
                ParquetPart.Write(Enumerable.Range(0, test.Count).Select(i =>
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
