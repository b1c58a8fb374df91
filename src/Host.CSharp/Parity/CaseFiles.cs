using Lrbs.Core.Losses;
using Lrbs.Core.Models;
using Lrbs.Core.Optimizers;

namespace Lrbs.Host.Parity;

/// <summary>Writes a case folder in the format of reference/CASES.md. Layers and optimizers are
/// written from their definitions (src/Core.FSharp/Models/Layers, Optimizers/Kinds.fs): every key
/// with its resolved value, and how TensorFlow.js builds it or why it cannot.</summary>
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
        var arrays = ParityInputs.Weights(c.Spec);
        var manifest = new Dictionary<string, object?>
        {
            ["name"] = c.Name,
            ["model"] = new Dictionary<string, object> { ["input"] = Input(c.Spec.Input), ["layers"] = ParityInputs.Layers(c.Spec).Select(Layer).ToList() },
            ["loss"] = LossModule.name(c.Loss),
            ["optimizer"] = Optimizer(c.Optimizer),
            ["learning_rates"] = c.LearningRates,
            ["weights"] = arrays.Select((w, i) => new Dictionary<string, object>
            {
                ["name"] = w.Name, ["shape"] = w.Def.Shape, ["file"] = $"w{i}.npy", ["role"] = RoleModule.name(w.Def.Role),
                ["trainable"] = RoleModule.trainable(w.Def.Role),
            }).ToList(),
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

    /// <summary>Whole numbers as integers, so that the references can use them as sizes.</summary>
    static object Number(double v) => v == Math.Floor(v) && Math.Abs(v) < 1e15 ? (long)v : v;

    static object Json(Value v) => v is Value.Number n ? Number(n.Item) : ((Value.Text)v).Item;

    static Dictionary<string, object> Layer(Layer l)
    {
        var d = new Dictionary<string, object> { ["type"] = l.Def.Name };
        foreach (var (k, v) in l.Args) d[k] = Json(v);
        return WithTfjs(d, ParityInputs.Tfjs(l));
    }

    static Dictionary<string, object> Optimizer(OptimizerSpec o)
    {
        var d = new Dictionary<string, object> { ["name"] = o.Kind.Name };
        foreach (var (k, v) in o.Settings) d[k] = Number(v);
        return WithTfjs(d, ParityInputs.Tfjs(o));
    }

    /// <summary>The entry with how TensorFlow.js builds it ("tfjs"), or why it cannot ("tfjs_unsupported").</summary>
    static Dictionary<string, object> WithTfjs(Dictionary<string, object> d, TfjsEntry tfjs)
    {
        if (tfjs.Unsupported is null) d["tfjs"] = tfjs.Entry;
        else d["tfjs_unsupported"] = tfjs.Unsupported;
        return d;
    }
}
