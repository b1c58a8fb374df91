using Lrbs.Core.Planning;
using System.Collections.Concurrent;
using Lrbs.Core.Engine;

namespace Lrbs.Host.Sweeps;

/// <summary>What a running sweep reports to its display.</summary>
public interface ISweepObserver
{
    void Started(PlannedTrial t);
    void Epoch(PlannedTrial t, EpochRecord e);
    void Finished(PlannedTrial t, TrialResult r);
    /// <summary>Another runner holds the trial's claim: this runner waits for its commit, or for the claim to go stale.</summary>
    void Claimed(PlannedTrial t, string holder) { }
    /// <summary>Something the user should know that does not stop the sweep (a checkpoint that does not read).</summary>
    void Warning(string message) { }
}

/// <summary>Trials that train together: one trial, or a pack sharing one step.</summary>
public sealed record WorkUnit(IReadOnlyList<PlannedTrial> Trials);

/// <summary>Runs the unfinished trials of a sweep (or of one shard) with N workers, one libtorch
/// and BLAS thread each, and commits each finished trial to the results store as soon as it
/// finishes.</summary>
public sealed class SweepRunner(Sweep sweep, ResultsStore store, int workers, Shard shard, string codeVersion, bool retryFailed = false,
    int checkpointEvery = CheckpointStore.DefaultEvery)
{
    readonly CheckpointStore checkpoints = new(store.OutDir, codeVersion, checkpointEvery);
    readonly BranchStates branchStates = new(store.OutDir, codeVersion);

    /// <summary>The reference step a branch starts from (its training rows decide the steps per epoch).</summary>
    public static int BranchStep(TrialConfig branch) => TrialConfigModule.branchStep(Trials.Prepare(branch).Train.Count, Trials.BranchPoint(branch));

    /// <summary>Whether a branch's start (its reference run's state at its branch point) is saved and reads.</summary>
    public bool BranchReady(PlannedTrial t, Action<string> warn) =>
        branchStates.Load(sweep.Branching!.ReferenceOf(t.Config), BranchStep(t.Config), warn) is not null;

    /// <summary>Removes the branch states whose branches are all committed.</summary>
    public void RemoveUsedBranchStates(CommittedTrials committed)
    {
        if (sweep.Branching is null) return;
        foreach (var g in Branches.Of(sweep.Branching).GroupBy(b => (Reference: sweep.Branching.ReferenceOf(b.Config), Step: BranchStep(b.Config))))
            if (g.All(b => committed.Statuses.ContainsKey(b.Id))) branchStates.Delete(g.Key.Reference, g.Key.Step);
    }

    /// <summary>Where a trial resumes: its saved epoch and the pack it saved in (empty: from the start).</summary>
    static string ResumeKey(MemberState? s) => s is null ? "" : $"{s.Epoch}:{string.Join(",", Stored.Pack(s))}";

    /// <summary>Trials grouped by where they resume, each resumed group in its saved member order
    /// (a packed net's arithmetic depends on it); trials starting afresh keep their given order.</summary>
    static IEnumerable<List<PlannedTrial>> ByResumePoint(IEnumerable<PlannedTrial> trials, IReadOnlyDictionary<string, MemberState?> points) =>
        trials.Select((t, i) => (t, i)).GroupBy(p => ResumeKey(points[p.t.Id]))
            .Select(g => g.OrderBy(p => (points[p.t.Id] is { } state ? Array.IndexOf(Stored.Pack(state), p.t.Id) : p.i)).Select(p => p.t).ToList());

    /// <summary>The units with every trial that has a checkpoint moved into a unit of the trials it
    /// saved with, in their saved order: a pack resumed with exactly its members continues bit for
    /// bit. Checkpoints that do not read are named in `warn`, removed, and their trials start over.</summary>
    public IReadOnlyList<WorkUnit> Resuming(IReadOnlyList<WorkUnit> units, Action<string> warn)
    {
        var points = CheckpointStore.ResumePoints(units.SelectMany(u => u.Trials).Select(t => t.Id), id => checkpoints.Load(id, warn));
        if (points.Values.All(s => s is null)) return units;
        var fresh = units.Select(u => new WorkUnit(u.Trials.Where(t => points[t.Id] is null).ToList())).Where(u => u.Trials.Count > 0);
        var resumed = ByResumePoint(units.SelectMany(u => u.Trials).Where(t => points[t.Id] is not null), points).Select(g => new WorkUnit(g));
        return resumed.Concat(fresh).ToList(); // resumed first: they are the furthest along
    }

    /// <summary>The trials of this shard to run, in plan order: those not committed, and with
    /// retryFailed those committed as failed.</summary>
    public IReadOnlyList<PlannedTrial> Pending(CommittedTrials committed) =>
        sweep.Trials.Where(shard.Owns).Where(t =>
            !committed.Statuses.TryGetValue(t.Id, out var status) || (retryFailed && status.IsFailed)).ToList();

    /// <summary>Each trial alone, repeat by repeat: every cell's first seed before any cell's
    /// second, so that a long sweep stopped early already covers the whole grid.</summary>
    public static IReadOnlyList<WorkUnit> Singles(IReadOnlyList<PlannedTrial> pending) =>
        pending.OrderBy(t => t.Config.Seed).ThenBy(t => t.Index).Select(t => new WorkUnit([t])).ToList();

    /// <summary>Packs as the core plans them (PackPlanner.Plan: trials that differ only in learning
    /// rate, schedule and seed share one net, capped by `fit`, e.g. PackPlanner.MembersThatFit),
    /// as work units; the rest run alone, each with why.</summary>
    public static (IReadOnlyList<WorkUnit> Units, IReadOnlyDictionary<string, string> Alone) Packs(IReadOnlyList<PlannedTrial> pending, int maxMembers, int workers = 1,
        Func<TrialConfig, int>? fit = null)
    {
        var plan = PackPlanner.Plan(pending, t => t.Config, t => t.Index, maxMembers, workers, fit!);
        return (plan.Units.Select(u => new WorkUnit(u)).ToList(), plan.Alone);
    }

    /// <summary>The memory cap for `workers` packs at once on this machine now.</summary>
    public static Func<TrialConfig, int> MemoryCap(int workers) => c => PackPlanner.MembersThatFit(c, workers, PackPlanner.AvailableBytes());

    /// <summary>Runs the given units; returns every result. With claims, a worker claims each
    /// trial of a unit before training it and trains only those it holds; a trial another runner
    /// holds is waited for after the queue is done, until it is committed or its claim goes stale
    /// and this runner takes it over. Trials are released as they commit.</summary>
    public IReadOnlyList<TrialResult> Run(IReadOnlyList<WorkUnit> units, ISweepObserver observer, CancellationToken cancel, Claims? claims = null)
    {
        Runtime.setThreads(1); // intra-op threads are process-wide: one per trial
        var started = DateTime.UtcNow;
        var queue = new ConcurrentQueue<WorkUnit>(units);
        var waiting = new ConcurrentQueue<PlannedTrial>();
        var results = new ConcurrentBag<TrialResult>();
        var failures = new ConcurrentBag<Exception>();
        var announced = new ConcurrentDictionary<string, bool>();
        var taken = new ConcurrentDictionary<string, bool>(); // taken over from the waiting queue
        var planned = units.SelectMany(u => u.Trials).ToDictionary(t => t.Id);
        // committed by someone since this run planned it (a retried failed trial counts once rewritten)
        bool Done(PlannedTrial t) => File.Exists(store.TrialPath(t.Id)) && (!retryFailed || File.GetLastWriteTimeUtc(store.TrialPath(t.Id)) >= started);
        List<PlannedTrial> Claim(IEnumerable<PlannedTrial> trials)
        {
            var mine = new List<PlannedTrial>();
            foreach (var t in trials)
            {
                if (claims is null) { mine.Add(t); continue; }
                if (!claims.TryClaim(t.Id)) { waiting.Enqueue(t); if (announced.TryAdd(t.Id, true)) observer.Claimed(t, claims.Holder(t.Id) ?? "another runner"); continue; }
                if (Done(t)) { claims.Release(t.Id); continue; } // committed by another runner after this one planned it
                mine.Add(t);
            }
            return mine;
        }
        var threads = Enumerable.Range(0, Math.Max(1, workers)).Select(_ => new Thread(() =>
        {
            try
            {
                while (!cancel.IsCancellationRequested && failures.IsEmpty && queue.TryDequeue(out var unit))
                    if (Claim(unit.Trials) is { Count: > 0 } mine)
                        foreach (var r in RunUnit(new WorkUnit(mine), observer, claims)) results.Add(r);
                while (!cancel.IsCancellationRequested && failures.IsEmpty && waiting.TryDequeue(out var t))
                {
                    if (Done(t) || taken.ContainsKey(t.Id)) continue;
                    if (Claim([t]) is { Count: 1 } mine)
                    {
                        // a trial taken over goes on with the trials it saved its checkpoint with, where this runner can take them too
                        var companions = (checkpoints.Load(t.Id, observer.Warning).FirstOrDefault() is { } saved ? Stored.Pack(saved) : []).Where(id => id != t.Id && planned.ContainsKey(id))
                            .Select(id => planned[id]).Where(u => !Done(u) && !taken.ContainsKey(u.Id)).ToList() ?? [];
                        var unit = mine.Concat(Claim(companions)).ToList();
                        foreach (var u in unit) taken[u.Id] = true;
                        foreach (var r in RunUnit(new WorkUnit(unit), observer, claims)) results.Add(r);
                        continue;
                    }
                    if (Done(t)) continue;
                    Thread.Sleep(500); // Claim put it back: its holder is alive
                }
            }
            catch (RunAbortedException e) { failures.Add(e.InnerException ?? e); } // the folder cannot be written: no worker starts another unit
            catch (Exception e) { failures.Add(e); } // stop this worker, report after the others
        })
        { IsBackground = true }).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        if (!failures.IsEmpty)
        {
            // one kind of failure (the folder cannot be written, in every worker): report it once
            var kinds = failures.GroupBy(f => f.GetType()).ToList();
            if (kinds.Count == 1) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failures.First()).Throw();
            throw new AggregateException(failures);
        }
        return results.ToList();
    }

    IEnumerable<TrialResult> RunUnit(WorkUnit unit, ISweepObserver observer, Claims? claims)
    {
        var trials = unit.Trials;
        var data = Trials.Prepare(trials[0].Config); // checked before the sweep started: a failure here is the data changing under it
        foreach (var t in trials) observer.Started(t);
        // trials that resume from different points (or start afresh) train as separate packs
        var points = CheckpointStore.ResumePoints(trials.Select(t => t.Id), id => checkpoints.Load(id, observer.Warning));
        return ByResumePoint(trials, points).SelectMany(g => RunPack(g, g.Select(t => points[t.Id]).ToList(), data, observer, claims)).ToList();
    }

    IEnumerable<TrialResult> RunPack(IReadOnlyList<PlannedTrial> trials, IReadOnlyList<MemberState?> states, Lrbs.Core.Data.SplitData data, ISweepObserver observer, Claims? claims)
    {
        // branches start from their reference runs' states at their point; a reference run saves its states at its branches' points
        if (Trials.BranchPoint(trials[0].Config) is not null)
            states = trials.Select(t => branchStates.Load(sweep.Branching!.ReferenceOf(t.Config), BranchStep(t.Config), observer.Warning)
                ?? throw new InvalidOperationException($"branch {t.Id}: its reference run's state is not saved")).ToList();
        var branchSteps = sweep.Branching is null ? [] : trials.SelectMany(t => sweep.Branching.StepsFor(t.Id, data.Train.Count)).Distinct().ToList();
        var checkpointing = Stored.Checkpointing(checkpoints.Every, states.Any(s => s is not null) ? states.ToArray()! : [], s =>
        {
            try { checkpoints.Save(s); }
            catch (OutputException e) { throw new RunAbortedException(e.Message, e); } // the folder cannot be written: stop the run
        }, branchSteps, s =>
        {
            try { branchStates.Save(s); }
            catch (OutputException e) { throw new RunAbortedException(e.Message, e); }
        });
        var progress = Progress.Of(
            null,
            (i, e) => observer.Epoch(trials[i], e),
            (i, r) =>
            {
                try { store.Write(sweep.Name, r, codeVersion, data.Test); } // the commit point
                catch (OutputException e) { throw new RunAbortedException(e.Message, e); } // not the trial's failure: stop the run
                claims?.Release(trials[i].Id);
                observer.Finished(trials[i], r);
            });
        return Trainer.tryRunPackWith(checkpointing, trials.Select(t => t.Config).ToArray(), data, progress);
    }
}
