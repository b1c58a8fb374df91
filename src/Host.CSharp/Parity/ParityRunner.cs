namespace Lrbs.Host.Parity;

/// <summary>Writes the cases, has a reference answer them, runs our engine on the same cases
/// and compares.</summary>
public static class ParityRunner
{
    /// <summary>Our engine on a case: the training step every trial runs, with the case's optimizer and loss.</summary>
    public static StepTrace Engine(ParityCase c) =>
        ParityInputs.Trace(c.Optimizer, c.Spec, c.Loss, c.Weights, c.Batches, c.LearningRates);

    public static IReadOnlyList<CaseResult> Run(IReadOnlyList<ParityCase> cases, IReference bridge, string workDir, Func<ParityCase, StepTrace> engine)
    {
        var dirs = cases.Select((c, i) => Path.Combine(workDir, $"case{i:D3}")).ToList();
        foreach (var (c, d) in cases.Zip(dirs)) CaseFiles.Write(c, d);
        var answers = bridge.Run(dirs);
        return cases.Zip(answers, (c, a) => a.Unsupported is null
            ? Comparison.Compare(c, engine(c), a)
            : new CaseResult(c, a.Reference, "SKIP", a.Unsupported, null, null, null)).ToList();
    }
}
