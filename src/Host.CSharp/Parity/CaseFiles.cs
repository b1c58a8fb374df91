using System.Text.Json;
using Lrbs.Core.Losses;
using Lrbs.Core.Models;
using Lrbs.Core.Optimizers;

namespace Lrbs.Host.Parity;

/// <summary>Writes a case folder in the format of reference/CASES.md.</summary>
public static class CaseFiles
{
    public static void Write(ParityCase c, string dir)
    {
        Directory.CreateDirectory(dir);
        for (var i = 0; i < c.Weights.Count; i++) Npy.Write(Path.Combine(dir, $"w{i}.npy"), c.Weights[i].Shape, c.Weights[i].Values);
        for (var i = 0; i < c.Batches.Count; i++)
        {
            Npy.Write(Path.Combine(dir, $"x{i}.npy"), c.Batches[i].XShape, c.Batches[i].X);
            Npy.Write(Path.Combine(dir, $"y{i}.npy"), c.Batches[i].YShape, c.Batches[i].Y);
        }
        var manifest = new Dictionary<string, object?>
        {
            ["name"] = c.Name,
            ["model"] = new Dictionary<string, object> { ["input"] = Input(c.Spec.Input), ["layers"] = c.Spec.Layers.Select(Layer).ToList() },
            ["loss"] = LossModule.name(c.Loss),
            ["optimizer"] = Optimizer(c.Optimizer),
            ["learning_rates"] = c.LearningRates,
            ["weights"] = c.Weights.Select((w, i) => new Dictionary<string, object> { ["name"] = w.Name, ["shape"] = w.Shape, ["file"] = $"w{i}.npy" }).ToList(),
            ["batches"] = c.Batches.Select((_, i) => new Dictionary<string, string> { ["x"] = $"x{i}.npy", ["y"] = $"y{i}.npy" }).ToList(),
        };
        File.WriteAllText(Path.Combine(dir, "case.json"), JsonSerializer.Serialize(manifest, new JsonSerializerOptions { WriteIndented = true }));
    }

    static int[] Input(Shape s) => s switch
    {
        Shape.Image i => [i.height, i.width, i.channels],
        Shape.Vector v => [v.features],
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    static string Act(Activation a) => a.IsRelu ? "relu" : a.IsSigmoid ? "sigmoid" : a.IsSoftmax ? "softmax" : "linear";

    static Dictionary<string, object> Layer(Layer l) => l switch
    {
        Lrbs.Core.Models.Layer.Dense d => new() { ["type"] = "dense", ["units"] = d.units, ["activation"] = Act(d.activation) },
        Lrbs.Core.Models.Layer.Conv2D c => new() { ["type"] = "conv2d", ["filters"] = c.filters, ["kernel"] = c.kernel, ["strides"] = c.stride, ["padding"] = c.padding.IsSame ? "same" : "valid", ["activation"] = Act(c.activation) },
        Lrbs.Core.Models.Layer.MaxPool2D p => new() { ["type"] = "maxpool", ["pool"] = p.pool },
        _ when l.IsFlatten => new() { ["type"] = "flatten" },
        _ => throw new NotSupportedException($"layer {l} has no parity form (dropout is off in parity cases)"),
    };

    static Dictionary<string, object> Optimizer(OptimizerSpec o) => o switch
    {
        OptimizerSpec.Sgd s => new() { ["name"] = "sgd", ["momentum"] = s.Item.Momentum, ["nesterov"] = s.Item.Nesterov, ["form"] = s.Item.Form.IsKeras ? "keras" : "pytorch" },
        OptimizerSpec.Adam a => new() { ["name"] = "adam", ["beta1"] = a.Item.Beta1, ["beta2"] = a.Item.Beta2, ["epsilon"] = a.Item.Epsilon, ["placement"] = a.Item.Placement.IsKeras ? "keras" : "bias_corrected" },
        _ => throw new ArgumentOutOfRangeException(nameof(o)),
    };
}
