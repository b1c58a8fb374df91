using Lrbs.Core.Planning;
using Lrbs.Host.Sweeps;
using Lrbs.Host.Presentation;
using Spectre.Console;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs sweep plan|run FILE`: expand a YAML sweep into trials; run the unfinished ones.</summary>
public static class SweepCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var sweep = new Command("sweep", "Plan and run sweeps described by YAML files (see README, 'Sweep files').");
        sweep.Subcommands.Add(Plan(output, error));
        sweep.Subcommands.Add(Run(output, error));
        return sweep;
    }

    static Argument<string> FileArgument() => new("FILE") { Description = "The sweep file (YAML)." };
    static Option<string?> ShardOption() => new("--shard") { Description = "Only shard K of N (K from 0): trials whose plan index mod N is K (in a learning-rate search: whose id's first 8 hex digits mod N is K). For Slurm arrays and Kubernetes Indexed Jobs." };
    static Option<string?> OutOption() => new("--out") { Description = "Results folder (overrides the file's 'out')." };
    static Option<bool> PackOption() => new("--pack") { Description = "Train trials that differ only in learning rate, learning-rate schedule and seed as members of one packed net (also: pack: true in the sweep file)." };
    static Option<int> PackSizeOption() => new("--pack-size") { Description = "The most members of one pack.", DefaultValueFactory = _ => 20 };

    static Command Plan(TextWriter output, TextWriter error)
    {
        var file = FileArgument();
        var shard = ShardOption();
        var outDir = OutOption();
        var pack = PackOption();
        var packSize = PackSizeOption();
        var cmd = new Command("plan", "List the trials a sweep file expands to, with their stable ids and whether they are finished (and with packing, their packs); " +
            "for a learning-rate search (lr: {bracket: ...}), the rounds so far, what the current round adds and why; runs nothing.") { file, shard, outDir, pack, packSize };
        cmd.SetAction(parse =>
        {
            var (s, store, sh) = Load(parse.GetValue(file)!, parse.GetValue(outDir), parse.GetValue(shard));
            CheckData(s.Trials); // every check `sweep run` makes before it trains
            var search = s.Search?.Plan(store.Outcomes());
            if (search is not null) s = s with { Trials = search.Trials };
            var table = new Table().Border(TableBorder.Simple);
            var packing = parse.GetValue(pack) || s.Pack;
            var branching = s.Branching;
            foreach (var c in new[] { "#", "trial_id", "dataset", "model", "optimizer", "lr", "batch_size", "seed", "state" }.Concat(branching is null ? [] : ["branch"])
                .Concat(packing ? ["pack"] : [])) table.AddColumn(c);
            var referenceIndex = s.Trials.ToDictionary(t => t.Id, t => t.Index);
            string Branch(PlannedTrial t) => Trials.BranchPoint(t.Config) is not { } point ? "reference"
                : $"t = {point.At.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)} from #{referenceIndex.GetValueOrDefault(branching!.ReferenceOf(t.Config), -1)}";
            var mine = s.Trials.Where(sh.Owns).ToList();
            var committed = store.Committed();
            foreach (var w in committed.Warnings) error.WriteLine($"warning: {w}");
            string State(PlannedTrial t) => committed.Statuses.TryGetValue(t.Id, out var st) ? st.Name : "planned";
            var pending = mine.Where(t => !committed.Statuses.ContainsKey(t.Id)).ToList();
            var (units, alone) = SweepRunner.Packs(pending, CheckPackSize(parse.GetValue(packSize)), Environment.ProcessorCount,
                packing ? SweepRunner.MemoryCap(Environment.ProcessorCount) : null);
            var packOf = units.Select((u, i) => (u, i)).SelectMany(p => p.u.Trials.Select(t => (t.Id, Label: p.u.Trials.Count > 1 ? $"pack {p.i + 1} ({p.u.Trials.Count} members)" : "alone: " + alone.GetValueOrDefault(t.Id, "")))).ToDictionary(p => p.Id, p => p.Label);
            foreach (var t in mine)
                table.AddRow([t.Index.ToString(), t.Id, t.Config.Dataset, t.Config.Model, t.Config.Optimizer,
                    t.Config.Lr.ToString("R"), t.Config.BatchSize.ToString(), t.Config.Seed.ToString(), State(t),
                    .. branching is null ? Array.Empty<string>() : [Branch(t)],
                    .. packing ? [Markup.Escape(packOf.GetValueOrDefault(t.Id, "committed"))] : Array.Empty<string>()]);
            Consoles.For(output).Write(table);
            output.WriteLine($"{mine.Count} trials ({mine.Count(t => committed.Statuses.ContainsKey(t.Id))} committed) of {s.Trials.Count} in sweep '{s.Name}', results in {store.OutDir}");
            if (branching is not null)
                output.WriteLine($"a branched study: {Branches.References(branching).Length} reference runs first, then {Branches.Of(branching).Length} branches, each from its reference run's state at its point " +
                    $"({Branches.Points(branching.Spec).Length} points x {Branches.BatchSizes(branching.Spec).Length} batch sizes per reference run); a branch's lr column is the reference's, before its scaling rule");
            if (search is not null)
            {
                var spec = s.Search!.Spec;
                output.WriteLine($"a learning-rate search: {s.Search.FirstRoundTrials} trials in round 0; at most {s.Search.MostTrials} " +
                    $"if every group of {s.Search.Groups.Count} uses its limits ({Searches.FirstRoundPoints(spec)} points + max_extend {spec.MaxExtend} + max_refine {spec.MaxRefine}, times the repeats)");
                foreach (var line in SearchText.Describe(search, spec)) output.WriteLine(line);
            }
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static Command Run(TextWriter output, TextWriter error)
    {
        var file = FileArgument();
        var shard = ShardOption();
        var outDir = OutOption();
        var workers = new Option<int>("--workers") { Description = "Trials run in parallel, one libtorch thread each.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var retry = new Option<bool>("--retry-failed") { Description = "Also rerun trials committed with status failed (an error, not divergence)." };
        var pack = PackOption();
        var packSize = PackSizeOption();
        var lease = new Option<string>("--lease")
        {
            Description = "How long another runner's claim on a trial holds without a heartbeat before this runner takes the trial over (90s, 10m, 1h); " +
                "a claim of a dead process on this host is taken over at once.",
            DefaultValueFactory = _ => Claims.LeaseText(Claims.DefaultLease),
        };
        var checkpointEvery = new Option<int>("--checkpoint-every")
        {
            Description = "Save each training trial's state (weights, optimizer, random streams, schedule, epochs so far) to OUT/checkpoints/ every N epochs; " +
                "a rerun after a kill resumes the trial from its last save, bit for bit. A save costs under 1% of an epoch (README, 'Mid-trial checkpoints').",
            DefaultValueFactory = _ => CheckpointStore.DefaultEvery,
        };
        var only = new Option<string?>("--only") { Description = "Run only these planned trials (ids, comma-separated); the supervisor uses it to run a crash's suspects alone." };
        var cmd = new Command("run", "Run a sweep's unfinished trials (finished ones are skipped, so rerunning resumes); several runners on one folder train each trial once. " +
            "A learning-rate search (lr: {bracket: [LOW, HIGH], points: N, refine_to: F}) runs round by round, each planned from what is committed, until every group's best learning rate is found.")
        {
            file, shard, outDir, workers, retry, pack, packSize, lease, checkpointEvery, only,
        };
        cmd.SetAction(parse =>
        {
            var (s, store, sh) = Load(parse.GetValue(file)!, parse.GetValue(outDir), parse.GetValue(shard));
            MigrateBeforeWriting(store.OutDir, output, error);
            var n = parse.GetValue(workers);
            if (n < 1) throw new InputException($"--workers must be >= 1, got {n}");
            var leaseTime = Claims.ParseLease(parse.GetValue(lease)!);
            var most = CheckPackSize(parse.GetValue(packSize));
            var every = parse.GetValue(checkpointEvery);
            if (every < 1) throw new InputException($"--checkpoint-every: expected a whole number of epochs >= 1, got {every}");
            var onlyIds = parse.GetValue(only)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
            PlannedTrial? Find(string id) => (s.Search is null ? s.Trials : s.Search.Plan(store.Outcomes()).Trials).FirstOrDefault(t => t.Id == id);
            CheckFault(s, Find);
            if (onlyIds?.FirstOrDefault(id => Find(id) is null) is { } stranger) throw new InputException($"--only: trial {stranger} is not planned in sweep '{s.Name}'");
            if (Supervisor.CanSupervise)
            {
                CheckWritable(ExistingAncestor(store.OutDir)); // the worker creates the folder once the data checks pass
                var runArgs = new RunArgs(parse.GetValue(file)!, parse.GetValue(shard), parse.GetValue(outDir), n, parse.GetValue(retry), parse.GetValue(pack), most, parse.GetValue(lease)!, every);
                var code = Supervisor.Run(runArgs, store, Find, (t, why) =>
                {
                    store.Write(s.Name, Trainer.failed(t.Config, Prepared(t), why, 0.0), CodeVersion.Current);
                }, error);
                if (Supervisor.Interrupted) error.WriteLine(InterruptedText(store, s.Search is null ? s.Trials.Count(sh.Owns) : null));
                return code;
            }
            Supervisor.BindToSupervisor();
            var options = new SweepWorker.Options(n, parse.GetValue(retry), (parse.GetValue(pack) || s.Pack) && onlyIds is null, most, leaseTime, every, onlyIds);
            new SweepWorker(s, store, sh, options, output, error).Run();
            return ExitCodes.Ok;
        });
        return cmd;
    }

    static (Sweep, ResultsStore, Shard) Load(string file, string? outDir, string? shard)
    {
        var sh = shard is null ? Shard.All : Shard.Parse(shard);
        var s = SweepFile.Load(file);
        return (s, new ResultsStore(outDir ?? s.Out), sh);
    }

    /// <summary>A sweep never writes a part of this schema beside parts of an older one: a folder
    /// with older parts is migrated first (as `lrbs results migrate` does), saying so.</summary>
    public static void MigrateBeforeWriting(string folder, TextWriter output, TextWriter error)
    {
        if (!Directory.Exists(folder)) return;
        // a part a crash left unreadable is moved aside first (its trial runs again), as a rerun does
        foreach (var w in new ResultsStore(folder).Recover()) error.WriteLine($"warning: {w}");
        if (!Lrbs.Host.Storage.Migrations.Migrator.Needed(folder)) return;
        output.WriteLine($"{folder} holds parts written by an older lrbs: migrating them to {ResultsSchema.Version} first (`lrbs results migrate` does the same)");
        ResultsCommand.MigrateWithProgress(folder, output);
    }

    /// <summary>What a user who pressed Ctrl-C needs to know: what is safe, and how to go on.</summary>
    static string InterruptedText(ResultsStore store, int? planned)
    {
        var committed = ResultsReader.Parts(store.OutDir, "trials").Length;
        var saved = Directory.Exists(CheckpointStore.DirIn(store.OutDir))
            ? Directory.GetFiles(CheckpointStore.DirIn(store.OutDir), "*.ckpt").Select(f => Path.GetFileName(f).Split('.')[0]).Distinct().Count(id => !File.Exists(store.TrialPath(id)))
            : 0;
        var args = Environment.GetCommandLineArgs().Skip(1).SkipWhile(a => a.EndsWith(".dll", StringComparison.Ordinal)).Select(a => a.Any(char.IsWhiteSpace) ? $"'{a}'" : a);
        return $"interrupted: {committed}{(planned is int p ? $" of {p}" : "")} trials are committed in {store.OutDir}; " +
            (saved > 0 ? $"{saved} trials in flight keep their checkpoints in {CheckpointStore.DirIn(store.OutDir)} and resume from them. " : "the trials in flight start again. ") +
            $"Run the same command to go on: lrbs {string.Join(' ', args)}";
    }

    /// <summary>Checks the data-dependent limits of `trials` before anything is written (`sweep
    /// plan` makes the same check): they depend only on the data, split, row limits and model, so
    /// one check per such group, with its largest batch.</summary>
    internal static void CheckData(IEnumerable<PlannedTrial> trials)
    {
        foreach (var t in trials.GroupBy(t => (Data: Trainer.dataKey(t.Config), t.Config.Model)).Select(g => g.MaxBy(t => t.Config.BatchSize)!))
            Prepared(t);
    }

    /// <summary>A trial's data, or a SweepFileException naming the trial and every problem.</summary>
    static Lrbs.Core.Data.SplitData Prepared(PlannedTrial t)
    {
        try { return Trials.Prepare(t.Config); }
        catch (ConfigException e) { throw new SweepFileException($"trial {t.Id} ({t.Config.Dataset}, batch {t.Config.BatchSize}): {e.Message}"); }
    }

    /// <summary>The test aid LRBS_FAULT=TRIAL_ID:STEP must be well formed and name a planned trial.</summary>
    static void CheckFault(Sweep s, Func<string, PlannedTrial?> find)
    {
        var text = Environment.GetEnvironmentVariable("LRBS_FAULT");
        string? id;
        try { id = Trials.FaultTrial(text ?? ""); }
        catch (FormatException e) { throw new InputException(e.Message); }
        if (id is not null && find(id) is null)
            throw new InputException($"LRBS_FAULT: trial {id} is not planned in sweep '{s.Name}' ('{text}')");
    }

    static int CheckPackSize(int n) => n >= 1 ? n : throw new InputException($"--pack-size: expected an integer >= 1, got '{n}'");

    /// <summary>`dir`, or its nearest ancestor that exists (where creating it would start).</summary>
    static string ExistingAncestor(string dir)
    {
        var d = Path.GetFullPath(dir);
        while (!Directory.Exists(d) && Path.GetDirectoryName(d) is { } parent) d = parent;
        return d;
    }

    internal static void CheckWritable(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".probe-{Guid.NewGuid():N}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputException($"output folder {dir} is not writable: {e.Message}");
        }
    }
}
