using Lrbs.Core.Planning;
using Lrbs.Host.Presentation;
using Lrbs.Host.Sweeps;

namespace Lrbs.Host.Cli;

/// <summary>The worker side of `lrbs sweep run` (the supervisor starts it): checks the data, loads
/// the engine, then runs a grid's unfinished trials, or a learning-rate search round by round, and
/// commits each trial as it finishes. The core plans (Planning/); this class asks, runs and says
/// what it did.</summary>
sealed class SweepWorker(Sweep sweep, ResultsStore store, Shard shard, SweepWorker.Options options, TextWriter output, TextWriter error)
{
    /// <summary>What the command line asked: workers, --retry-failed, packing, --pack-size, the
    /// claims' lease, --checkpoint-every and --only (null: every trial).</summary>
    public sealed record Options(int Workers, bool Retry, bool Packing, int PackSize, TimeSpan Lease, int CheckpointEvery, HashSet<string>? Only);

    readonly List<TrialResult> _results = [];
    readonly SweepRunner _runner = new(sweep, store, options.Workers, shard, CodeVersion.Current, options.Retry, options.CheckpointEvery);
    readonly StartupTiming _timing = new();

    public void Run()
    {
        _timing.Mark("plan read");
        var engine = EngineWarmUp.Start(); // loads while the plan and the data are read
        var committed = store.Committed();
        _timing.Mark("committed read");
        foreach (var w in committed.Warnings) error.WriteLine($"warning: {w}");
        var unfinished = _runner.Pending(committed);
        var pending = unfinished.Where(Named).ToList();
        SweepCommand.CheckData(sweep.Search is null && sweep.Branching is null ? pending : sweep.Trials);
        _timing.Mark("data ready");
        engine.Wait();
        _timing.Mark("engine loaded");
        SweepCommand.CheckWritable(store.OutDir);
        using var claims = new Claims(store.OutDir, options.Lease);
        if (sweep.Branching is not null) RunBranched(sweep.Branching, claims);
        else if (sweep.Search is null) RunGrid(pending, unfinished.Count, claims);
        else RunSearch(sweep.Search, claims);
        var byStatus = _results.GroupBy(r => r.Status.Name).Select(g => $"{g.Count()} {g.Key}");
        output.WriteLine($"done: {string.Join(", ", byStatus.DefaultIfEmpty("nothing to run"))}");
    }

    bool Named(PlannedTrial t) => options.Only is null || options.Only.Contains(t.Id);

    void RunGrid(IReadOnlyList<PlannedTrial> pending, int unfinished, Claims claims)
    {
        store.WriteManifest(sweep.Name, sweep.Trials.Select(t => (t.Index, t.Id, t.Config)));
        _timing.Mark("manifest written");
        _timing.Report(error);
        var named = options.Only is null ? "" : $" (named by --only; {unfinished} unfinished in all)"; // --only picks among these
        output.WriteLine($"sweep '{sweep.Name}': {pending.Count} to run{named}, {sweep.Trials.Count(shard.Owns) - unfinished} already finished, " +
            $"{options.Workers} workers, results in {store.OutDir}");
        _results.AddRange(RunTrials(pending, [], claims));
    }

    /// <summary>A branched sweep in two rounds, as a search runs its rounds: the reference runs
    /// (each saving its state at its branches' points), then the branches whose start is saved.
    /// Each round runs this shard's trials, then any of another shard's that no runner has claimed,
    /// and waits for those claimed, so every shard ends with the whole plan committed. A branch
    /// whose reference run ended without its state (it stopped or diverged before the point) is
    /// named and left.</summary>
    void RunBranched(BranchStudy study, Claims claims)
    {
        bool Open(PlannedTrial t, CommittedTrials c) => (!c.Statuses.TryGetValue(t.Id, out var st) || (options.Retry && st.IsFailed && !RanHere(t))) && Named(t);
        var committed = store.Committed();
        var references = sweep.Trials.Where(t => Trials.BranchPoint(t.Config) is null && Open(t, committed)).ToList();
        store.WriteManifest(sweep.Name, sweep.Trials.Select(t => (t.Index, t.Id, t.Config)), branchSettings: BranchSpecModule.settingsText(study.Spec));
        _timing.Report(error);
        output.WriteLine($"sweep '{sweep.Name}': {Branches.References(study).Length} reference runs, {Branches.Of(study).Length} branches; " +
            $"{references.Count} reference runs to run first, {options.Workers} workers, results in {store.OutDir}");
        _results.AddRange(RunTrials(references.Where(shard.Owns).ToList(), options.Only is null ? references.Where(t => !shard.Owns(t)).ToList() : [], claims));
        committed = store.Committed();
        var branches = sweep.Trials.Where(t => Trials.BranchPoint(t.Config) is not null && Open(t, committed)).ToList();
        var ready = branches.Where(t => _runner.BranchReady(t, w => error.WriteLine($"warning: {w}"))).ToList();
        output.WriteLine($"branches: {ready.Count} of {branches.Count} to run have their start saved");
        foreach (var g in branches.Except(ready).GroupBy(t => study.ReferenceOf(t.Config)))
            output.WriteLine($"  {g.Count()} branches of reference run {g.Key} cannot run: its state at their points is not saved " +
                "(it stopped or diverged before them, another runner has not finished it, or it was committed by another code version)");
        _results.AddRange(RunTrials(ready.Where(shard.Owns).ToList(), options.Only is null ? ready.Where(t => !shard.Owns(t)).ToList() : [], claims));
        _runner.RemoveUsedBranchStates(store.Committed());
    }

    /// <summary>Round by round: the core replays the plan from what is committed, its open trials
    /// run (this shard's first, then any another runner has not claimed), and again, until every
    /// group's search has ended.</summary>
    void RunSearch(LrSearch search, Claims claims)
    {
        while (true)
        {
            var plan = search.Plan(store.Outcomes());
            store.WriteManifest(sweep.Name, plan.Trials.Select(t => (t.Index, t.Id, t.Config)), SearchText.Settings(search.Spec));
            var committed = store.Committed();
            var open = plan.Open(t => (!committed.Statuses.TryGetValue(t.Id, out var st) || (options.Retry && st.IsFailed && !RanHere(t))) && Named(t));
            output.WriteLine($"sweep '{sweep.Name}': learning-rate search, {plan.Groups.Count - plan.RunningGroups} of {plan.Groups.Count} groups done; " +
                $"{open.Count} trials to run in this round, {plan.Trials.Count - open.Count} finished, {options.Workers} workers, results in {store.OutDir}");
            if (open.Count == 0) break;
            SweepCommand.CheckData(open);
            _results.AddRange(RunTrials(open.Where(shard.Owns).ToList(), open.Where(t => !shard.Owns(t)).ToList(), claims));
            if (options.Only is not null) break; // the named trials ran; the next round is another runner's
        }
        foreach (var g in search.Plan(store.Outcomes()).Groups)
            output.WriteLine($"  {g.Group.Label}: {SearchText.State(g.Plan.State)}");
    }

    /// <summary>Whether this runner already retried the trial (a failed one is retried once).</summary>
    bool RanHere(PlannedTrial t) => _results.Any(r => TrialConfigModule.id(r.Config) == t.Id);

    /// <summary>This shard's trials first, then others' (a searched round: what their runners have
    /// not claimed), as the core packs them, resumed trials moved into the packs they saved in.</summary>
    IReadOnlyList<TrialResult> RunTrials(IReadOnlyList<PlannedTrial> own, IReadOnlyList<PlannedTrial> others, Claims claims)
    {
        int n = options.Workers;
        IReadOnlyList<WorkUnit> Units(IReadOnlyList<PlannedTrial> ts) =>
            options.Packing ? SweepRunner.Packs(ts, options.PackSize, n, SweepRunner.MemoryCap(n)).Units : SweepRunner.Singles(ts);
        var units = _runner.Resuming(Units(own).Concat(Units(others)).ToList(), w => error.WriteLine($"warning: {w}"));
        var resuming = units.SelectMany(u => u.Trials).Count(t => CheckpointStore.FilesIn(store.OutDir, t.Id).Count > 0);
        if (resuming > 0) output.WriteLine($"resuming {resuming} trials from their checkpoints in {CheckpointStore.DirIn(store.OutDir)}");
        if (options.Packing)
            output.WriteLine($"packed: {units.Count(u => u.Trials.Count > 1)} packs of {units.Where(u => u.Trials.Count > 1).Sum(u => u.Trials.Count)} trials, " +
                $"{units.Count(u => u.Trials.Count == 1)} alone");
        return SweepDisplay.Run(_runner, units, own.Count + others.Count, Consoles.For(output), claims);
    }
}
