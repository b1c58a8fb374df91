using Lrbs.Core.Search;
using Lrbs.Core.Training;
using Microsoft.FSharp.Collections;
using Microsoft.FSharp.Core;

namespace Lrbs.Host.Sweeps;

/// <summary>One group of a searched sweep: every key but lr and seed fixed. `Trial(lr, repeat)`
/// builds its trial at a learning rate for one repeat; `Label` names the keys the grid varies.</summary>
public sealed class SearchGroup(int index, string label, int repeats, Func<double, int, TrialConfig> build)
{
    readonly Dictionary<(double, int), (string Id, TrialConfig Config)> _trials = new();
    public int Index { get; } = index;
    public string Label { get; } = label;
    public int Repeats { get; } = repeats;

    public (string Id, TrialConfig Config) Trial(double lr, int repeat)
    {
        lock (_trials)
        {
            if (!_trials.TryGetValue((lr, repeat), out var t))
            {
                var c = build(lr, repeat);
                _trials[(lr, repeat)] = t = (TrialConfigModule.id(c), c);
            }
            return t;
        }
    }
}

/// <summary>A group's search as planned now.</summary>
public sealed record GroupSearch(SearchGroup Group, LrBracket.Plan Plan);

/// <summary>The plan of a searched sweep at this moment: its trials (every round so far) and each group's search.</summary>
public sealed record SearchPlan(IReadOnlyList<PlannedTrial> Trials, IReadOnlyList<GroupSearch> Groups);

/// <summary>The learning-rate search of a sweep file's `lr: {bracket: ...}` (LrBracket): the
/// plan is replayed from the committed outcomes alone, so every shard and rerun agrees on it.</summary>
public sealed class LrSearch(LrBracket.Spec spec, IReadOnlyList<SearchGroup> groups)
{
    public LrBracket.Spec Spec { get; } = spec;
    public IReadOnlyList<SearchGroup> Groups { get; } = groups;

    /// <summary>The plan given the committed outcomes (by trial id): every point of every group,
    /// each with all its repeats, in group order, then point order, then repeat.</summary>
    public SearchPlan Plan(IReadOnlyDictionary<string, LrBracket.Outcome> outcomes)
    {
        var trials = new List<PlannedTrial>();
        var plans = new List<GroupSearch>();
        var repeats = new Func<SearchGroup, FSharpList<int>>(g => ListModule.OfSeq(Enumerable.Range(0, g.Repeats)));
        foreach (var g in Groups)
        {
            var plan = LrBracket.plan(Spec, repeats(g), FuncConvert.FromFunc<double, int, FSharpOption<LrBracket.Outcome>>((lr, r) =>
                outcomes.TryGetValue(g.Trial(lr, r).Id, out var o) ? FSharpOption<LrBracket.Outcome>.Some(o) : FSharpOption<LrBracket.Outcome>.None));
            plans.Add(new GroupSearch(g, plan));
            foreach (var p in plan.Points)
                for (var r = 0; r < g.Repeats; r++)
                {
                    var (id, config) = g.Trial(p.Lr, r);
                    trials.Add(new PlannedTrial(trials.Count, id, config, Searched: true));
                }
        }
        return new SearchPlan(trials, plans);
    }
}
