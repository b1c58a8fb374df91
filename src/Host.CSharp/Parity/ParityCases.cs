using Lrbs.Core.Engine;
using Lrbs.Core.Losses;
using Lrbs.Core.Models;
using Lrbs.Core.Optimizers;

namespace Lrbs.Host.Parity;

/// <summary>One parity case: a model, its starting weights, the batches and learning rates of
/// every step, and the optimizer form it asks for.</summary>
public sealed record ParityCase(
    string Name, string ModelName, ModelSpec Spec, Loss Loss, string OptimizerName, OptimizerSpec Optimizer,
    int BatchSize, IReadOnlyList<KerasWeight> Weights, IReadOnlyList<KerasBatch> Batches, IReadOnlyList<double> LearningRates);

/// <summary>The parity matrix: the studies' models x every optimizer, and a probe of every layer
/// kind and activation, x batch sizes 1, 4, 64.</summary>
public static class ParityCases
{
    public const int DefaultSteps = 20;

    static readonly Loss[] CrossEntropies = [Loss.NewCrossEntropy(LossForm.Logits), Loss.NewCrossEntropy(LossForm.Clipped)];
    static readonly Loss[] BinaryCrossEntropies = [Loss.NewBinaryCrossEntropy(LossForm.Logits), Loss.NewBinaryCrossEntropy(LossForm.Clipped)];

    /// <summary>Models of the matrix: name, spec, the losses it is checked with (the logits form of
    /// Keras on TensorFlow and the clipped form of TensorFlow.js), and how to draw one batch.</summary>
    static readonly (string Name, Func<ModelSpec> Spec, Loss[] Losses, Func<Rng, int, KerasBatch> Batch)[] Models =
    [
        ("mlp-relu (S1/S2)", () => Build("mlp-100-50", Shape.NewImage(1, 28, 28), Catalog.Head.NewClasses(10)), CrossEntropies, (r, n) => Images(r, n, 28, 28, 1, Classes(r, n, 10))),
        ("mlp-sigmoid (S3)", () => Build("mlp-200-90-50-sigmoid", Shape.NewVector(8), Catalog.Head.NewClasses(3)), CrossEntropies, (r, n) => Vectors(r, n, 8, Classes(r, n, 3))),
        // S4's layers on 8x8x3 inputs: TensorFlow.js's CPU backend needs minutes per step at 32x32, batch 64.
        ("cnn (S4, 8x8x3)", () => Build("cnn-animals", Shape.NewImage(3, 8, 8), Catalog.Head.NewClasses(3)), CrossEntropies, (r, n) => Images(r, n, 8, 8, 3, Classes(r, n, 3))),
        ("box-cnn (S7)", () => Build("cnn-box", Shape.NewImage(1, 128, 128), Catalog.Head.Box), [Loss.NewOneMinusIoU(IouForm.KerasPlusOne), Loss.NewOneMinusIoU(IouForm.Exact)], Boxes),
        ("multi-label head", () => ParityInputs.Model("multi-label", Shape.NewVector(12),
            [Layer.Dense(16, Activation.Relu), Layer.Dense(3, Activation.Sigmoid)]), BinaryCrossEntropies,
            (r, n) => Vectors(r, n, 12, (Enumerable.Range(0, n * 3).Select(_ => r.NextDouble() < 0.5 ? 1f : 0f).ToArray(), [n, 3]))),
    ];

    /// <summary>The optimizer axis, from the registry (Optimizers/Kinds.fs and the presets of
    /// OptimizerSpec.fs): every kind and preset at its defaults, and each kind whose weight decay
    /// is off by default once more with weight_decay 0.01. A new optimizer is in the matrix
    /// without an edit here.</summary>
    public static IReadOnlyList<(string Name, OptimizerSpec Spec)> Optimizers()
    {
        var list = new List<(string, OptimizerSpec)>();
        foreach (var name in Catalogue.OptimizerNames)
        {
            list.Add((name, ParityInputs.Optimizer(name)));
            if (Catalogue.WeightDecayOffByDefault(name))
                list.Add(($"{name} weight_decay 0.01", ParityInputs.Optimizer(name, "weight_decay", 0.01)));
        }
        return list;
    }

    public static readonly int[] BatchSizes = [1, 4, 64];

    /// <summary>The probe models, from the registry (Models/Layers, Models/Activations.fs): each
    /// layer kind between a small convolution and the head, and each activation in a Dense layer.
    /// A new layer or activation is in the matrix without an edit here.</summary>
    static IEnumerable<(string Name, Func<ModelSpec> Spec, Loss[] Losses, Func<Rng, int, KerasBatch> Batch)> Probes()
    {
        var clipped = new[] { Loss.NewCrossEntropy(LossForm.Clipped) };
        foreach (var def in ParityInputs.ProbedLayers)
        {
            var d = def;
            yield return ($"probe {d.Name}", () => ParityInputs.Probe(d), clipped, (r, n) => Images(r, n, 8, 8, 3, Classes(r, n, 3)));
        }
        foreach (var act in Catalogue.Activations.Where(a => a.Name != "softmax"))
        {
            var a = act;
            yield return ($"probe {a.Name}", () => ParityInputs.Model($"probe-{a.Name}", Shape.NewVector(8),
                [Layer.Dense(16, a.Name), Layer.Dense(3, Activation.Softmax)]), clipped, (r, n) => Vectors(r, n, 8, Classes(r, n, 3)));
        }
    }

    /// <summary>Every case, in a fixed order, with data drawn from a fixed seed: the studies'
    /// models with every optimizer, then each probe with plain SGD and the bias-corrected Adam
    /// (the forms TensorFlow.js has).</summary>
    public static IEnumerable<ParityCase> All(int steps = DefaultSteps)
    {
        var optimizers = Optimizers();
        var probeOptimizers = optimizers.Where(o => o.Name is "sgd" or "adam-bias-corrected").ToList();
        foreach (var (modelName, spec, losses, batch) in Models)
            foreach (var c in Cases(modelName, spec, losses, batch, optimizers, steps)) yield return c;
        foreach (var (modelName, spec, losses, batch) in Probes())
            foreach (var c in Cases(modelName, spec, losses, batch, probeOptimizers, steps)) yield return c;
    }

    static IEnumerable<ParityCase> Cases(string modelName, Func<ModelSpec> spec, Loss[] losses, Func<Rng, int, KerasBatch> batch,
        IReadOnlyList<(string Name, OptimizerSpec Spec)> optimizers, int steps)
    {
        foreach (var b in BatchSizes)
        {
            var s = spec();
            using var net = Network.Create(s, losses[0], ParityInputs.Optimizer("sgd"), [1234UL], true);
            var weights = ParityInputs.KerasWeights(net, 0).ToList();
            if (losses[0].IsOneMinusIoU)
            {
                // Start from a centred box: with random initial boxes most are inverted, and
                // 1 - IoU then has no gradient at all, which would make the case vacuous.
                var last = weights[^1];
                weights[^1] = new KerasWeight(last.Name, last.Shape, [0.25f, 0.25f, 0.75f, 0.75f]);
            }
            var rng = Rng.Derive(99UL, $"{modelName}/{b}");
            var batches = Enumerable.Range(0, steps).Select(_ => batch(rng, b)).ToList();
            foreach (var loss in losses)
                foreach (var (optName, opt) in optimizers)
                {
                    // Each optimizer at its Keras default learning rate (SGD 0.01, Adam 0.001), halved in
                    // the middle so that the momentum forms must part there.
                    var lr0 = opt.Kind.DefaultLr;
                    var lrs = Enumerable.Range(0, steps).Select(i => i < steps / 2 ? lr0 : lr0 / 2).ToList();
                    var lossLabel = losses.Length > 1 ? $" | {LossModule.name(loss)}" : "";
                    yield return new ParityCase($"{modelName}{lossLabel} | {optName} | batch {b}", modelName, s, loss, optName, opt, b, weights, batches, lrs);
                }
        }
    }

    static ModelSpec Build(string name, Shape input, Catalog.Head head) => ModelText.Catalog(name, input, head);

    static (float[], int[]) Classes(Rng r, int n, int k)
    {
        var y = new float[n * k];
        for (var i = 0; i < n; i++) y[i * k + r.NextInt(k)] = 1f;
        return (y, [n, k]);
    }

    static KerasBatch Images(Rng r, int n, int h, int w, int c, (float[] Y, int[] Shape) y) =>
        new(Enumerable.Range(0, n * h * w * c).Select(_ => (float)r.NextDouble()).ToArray(), [n, h, w, c], y.Y, y.Shape);

    static KerasBatch Vectors(Rng r, int n, int f, (float[] Y, int[] Shape) y) =>
        new(Enumerable.Range(0, n * f).Select(_ => (float)r.NextDouble()).ToArray(), [n, f], y.Y, y.Shape);

    /// <summary>S7 data from S7's own generator (Data/Boxes.fs), seeded from the case's stream:
    /// black 128x128 images with one white rectangle, target (x1, y1, x2, y2) in [0, 1].</summary>
    static KerasBatch Boxes(Rng r, int n)
    {
        var d = Lrbs.Core.Data.Boxes.generate(r.NextInt(int.MaxValue), n);
        var y = d.Targets is Lrbs.Core.Data.Targets.Boxes b ? b.values : throw new InvalidOperationException("boxes have box targets");
        // one channel: the engine's (N, 1, H, W) and Keras's (N, H, W, 1) hold the same bytes
        return new KerasBatch(d.X, [n, Lrbs.Core.Data.Boxes.Side, Lrbs.Core.Data.Boxes.Side, 1], y, [n, 4]);
    }
}
