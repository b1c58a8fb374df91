using Lrbs.Core.Planning;
using Lrbs.Host.Sweeps;

namespace Lrbs.Host.Presentation;

/// <summary>A learning-rate search as text: where each group stands, its rounds so far, and what
/// the current round adds and why (`lrbs sweep plan`, the end of `lrbs sweep run`).</summary>
public static class SearchText
{
    static string G(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    public static string State(LrBracket.State state) => state switch
    {
        LrBracket.State.Found f => "found: " + f.why,
        LrBracket.State.Limit l => "stopped at a limit: " + l.why,
        _ => "running",
    };

    /// <summary>A search's settings in one line (the manifest's `search` column, the report's protocol).</summary>
    public static string Settings(LrBracket.Spec spec) =>
        $"bracket [{G(spec.Low)}, {G(spec.High)}] in {spec.Points} points, refine_to {G(spec.RefineTo)}, max_extend {spec.MaxExtend}, max_refine {spec.MaxRefine}";

    /// <summary>Per group: each round's learning rates with their mean score ± standard error
    /// (n/a until committed), then the state, or what the running round adds and why.</summary>
    public static IEnumerable<string> Describe(SearchPlan plan, LrBracket.Spec spec)
    {
        yield return $"learning-rate search: {Settings(spec)}; the score is the final test metric (mean over repeats)";
        foreach (var g in plan.Groups)
        {
            var p = g.Plan;
            var cells = Searches.Cells(p).ToDictionary(c => c.Lr);
            yield return $"group {g.Group.Index + 1} ({g.Group.Label}): {State(p.State)}";
            foreach (var round in Searches.Points(p).GroupBy(x => x.Round))
            {
                var lrs = string.Join(", ", round.Select(x => cells.TryGetValue(x.Lr, out var c)
                    ? $"{G(x.Lr)} -> {c.Mean:0.0000}" + (double.IsFinite(c.Error) ? $" ± {c.Error:0.0000}" : "")
                    : $"{G(x.Lr)} (not committed)"));
                var why = string.Join("; ", round.Select(x => x.Why).Distinct());
                yield return $"  round {round.Key}: {lrs}  [{why}]";
            }
            if (p.State.IsRunning)
                yield return $"  next: round {LrBracket.currentRound(p)} must finish; its points are above, the one after is decided from their scores";
            else if (Searches.Best(p) is { } best)
                yield return $"  best: {G(best.Lr)} ({best.Mean:0.0000})";
        }
    }
}
