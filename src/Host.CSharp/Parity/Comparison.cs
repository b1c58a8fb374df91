namespace Lrbs.Host.Parity;

/// <summary>|ours - theirs| &lt;= Atol + Rtol |theirs|, element-wise.</summary>
public sealed record Tolerance(double Rtol, double Atol)
{
    public override string ToString() => $"rtol {Rtol:G2}, atol {Atol:G2}";
}

/// <summary>Largest absolute and relative differences of one quantity, and whether all are in tolerance.</summary>
public sealed record Difference(double MaxAbs, double MaxRel, bool Within)
{
    public static Difference Of(IEnumerable<double> ours, IEnumerable<double> theirs, Tolerance tol)
    {
        double maxAbs = 0, maxRel = 0;
        var within = true;
        var count = 0;
        foreach (var (a, b) in ours.Zip(theirs))
        {
            count++;
            var d = Math.Abs(a - b);
            if (double.IsNaN(d)) { within = false; maxAbs = maxRel = double.NaN; continue; }
            maxAbs = Math.Max(maxAbs, d);
            maxRel = Math.Max(maxRel, d / Math.Max(Math.Abs(b), tol.Atol));
            within &= d <= tol.Atol + tol.Rtol * Math.Abs(b);
        }
        return new Difference(maxAbs, maxRel, within && count > 0);
    }
}

/// <summary>The verdict of one case against one reference.</summary>
public sealed record CaseResult(ParityCase Case, string Reference, string Verdict, string? Note, Difference? Loss, Difference? Gradients, Difference? Weights);

public static class Comparison
{
    /// <summary>float32 engine against float32 TensorFlow.js or the float64 oracle: per-step losses,
    /// first-step gradients, final weights after 20 steps.</summary>
    public static readonly Tolerance LossTolerance = new(1e-4, 1e-6);
    public static readonly Tolerance GradientTolerance = new(1e-3, 1e-6);
    /// <summary>Final weights: rtol 1e-3 and an absolute part proportional to the learning-rate
    /// budget (5e-3 x the sum of the case's learning rates). Adam moves a weight by up to about lr
    /// per step whatever the size of its gradient, so float32 rounding in near-zero gradients
    /// reaches the weights on that scale; a real error (a wrong bias correction, a wrong momentum
    /// form) moves them by a sizeable fraction of it.</summary>
    public const double WeightBudgetFraction = 5e-3;

    public static Tolerance WeightTolerance(ParityCase c) => new(1e-3, WeightBudgetFraction * c.LearningRates.Sum());

    public static string Describe => $"loss {LossTolerance}; first-step gradients {GradientTolerance}; final weights rtol 1E-3, atol {WeightBudgetFraction:G2} x sum of learning rates";

    public static CaseResult Compare(ParityCase c, StepTrace ours, ReferenceAnswer theirs)
    {
        if (theirs.Unsupported is not null) return new CaseResult(c, theirs.Reference, "SKIP", theirs.Unsupported, null, null, null);
        if (theirs.Losses.Length != ours.Losses.Length || theirs.Weights.Length != ours.FinalWeights.Length || theirs.Gradients.Length != ours.FirstGradients.Length)
            return new CaseResult(c, theirs.Reference, "FAIL", "the answer has a different number of steps or weight arrays", null, null, null);
        var loss = Difference.Of(ours.Losses, theirs.Losses, LossTolerance);
        var grads = Difference.Of(ours.FirstGradients.SelectMany(g => g.Values.Select(v => (double)v)), theirs.Gradients.SelectMany(g => g), GradientTolerance);
        var weights = Difference.Of(ours.FinalWeights.SelectMany(w => w.Values.Select(v => (double)v)), theirs.Weights.SelectMany(w => w), WeightTolerance(c));
        var pass = loss.Within && grads.Within && weights.Within;
        return new CaseResult(c, theirs.Reference, pass ? "PASS" : "FAIL", null, loss, grads, weights);
    }
}
