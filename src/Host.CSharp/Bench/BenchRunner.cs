using Lrbs.Core.Planning;
using System.Diagnostics;
using Lrbs.Core.Engine;
using Lrbs.Host.Sweeps;
using Lrbs.Host.Cli;

namespace Lrbs.Host.Bench;

/// <summary>One measurement: a system on a case (seconds per epoch), or a skipped peer and why;
/// start-up rows also carry the peak resident memory of the process they timed. Training rows
/// carry their step's arithmetic (StepCost: FLOPs, bytes moved and working set per step), and
/// roofline rows the machine's (an SGEMM's FLOPs, a triad's bytes) beside their seconds.</summary>
public sealed record BenchRow(string Part, string Case, string Model, string Optimizer, int BatchSize, string System,
    double? Seconds, int Steps, string Version, string? Note, double? PeakGb = null,
    double? Flops = null, double? Bytes = null, double? WorkingSet = null);

/// <summary>How much to measure. Quick: small row counts, for tests of the bench itself.</summary>
public sealed record BenchOptions(bool Quick, int Repeat, IReadOnlyList<Peer> Peers, IReadOnlySet<string> Parts);

/// <summary>Measures lrbs through its production code (Trainer.run, SweepRunner) beside its peers
/// on the same rows, in one run on one machine.</summary>
public sealed class BenchRunner(BenchOptions options, Action<string> log)
{
    /// <summary>The parts `--only` names, in the order they run.</summary>
    public static readonly string[] Parts = ["roofline", "training", "sweep", "noise", "pack", "checkpoints", "startup"];

    /// <summary>The side of the roofline's SGEMM (2 side^3 FLOPs: 17 GFLOP at 2048).</summary>
    public const int SgemmSide = 2048;

    public static readonly int[] MlpBatches = [4, 16, 64, 256];
    public static readonly int[] CnnBatches = [16, 256];

    public static IEnumerable<BenchCase> TrainingCases(bool quick)
    {
        foreach (var opt in new[] { "sgd", "adam" })
            foreach (var b in quick ? [4, 64] : MlpBatches)
                yield return new BenchCase("mlp", opt, opt == "sgd" ? 0.01 : 0.001, b);
        foreach (var b in quick ? [16] : CnnBatches)
            yield return new BenchCase("boxcnn", "adam", 0.001, b);
        // S5's network (cnn-traffic) with BatchNormalization after each convolution, on Fashion-MNIST's 28x28 rows
        yield return new BenchCase("bncnn", "adam", 0.001, quick ? 64 : 128);
    }

    /// <summary>S5's network with BatchNormalization after each convolution, declared as a model
    /// (the catalog's cnn-traffic layers with batch_norm inserted), as the canonical JSON of a trial.</summary>
    public static string BatchNormCnn()
    {
        var layers = ParityInputs.Layers(ModelText.Catalog("cnn-traffic", Lrbs.Core.Models.Shape.NewImage(1, 28, 28), Lrbs.Core.Models.Catalog.Head.NewClasses(10)));
        var withNorm = layers.SelectMany(l => l.Def.Name == "conv2d" ? new[] { l, Lrbs.Core.Models.Layer.BatchNorm } : new[] { l });
        return ModelText.Json("cnn-traffic-bn", withNorm);
    }

    /// <summary>The lrbs trial of a case (the studies' S2 and S7 settings, one epoch).</summary>
    public TrialConfig Config(BenchCase c, int? limit = null, (int Every, int Small)? noise = null, int epochs = 1)
    {
        var fields = c.Model switch
        {
            "mlp" => new List<(string, string)> { ("dataset", "fashion-mnist"), ("split", "80/20"), ("model", "mlp-100-50") },
            "bncnn" => [("dataset", "fashion-mnist"), ("split", "80/20"), ("model", BatchNormCnn())],
            _ => [("dataset", "boxes"), ("model", "cnn-box")],
        };
        fields.AddRange([("optimizer", c.Optimizer), ("lr", c.Lr.ToString("R")), ("batch_size", c.BatchSize.ToString()), ("max_epochs", epochs.ToString())]);
        var rows = limit ?? (options.Quick ? (c.Model == "boxcnn" ? 256 : 2048) : null);
        if (rows is int n) fields.Add(("train_limit", n.ToString()));
        if (noise is { } ns) fields.AddRange([("noise_scale_every", ns.Every.ToString()), ("noise_scale_small", ns.Small.ToString())]);
        return Trials.Build(fields);
    }

    static Lrbs.Core.Data.SplitData Prepare(TrialConfig c)
    {
        return Trials.Prepare(c);
    }

    public IReadOnlyList<BenchRow> Run(string workDir)
    {
        var rows = new List<BenchRow>();
        if (options.Parts.Contains("roofline")) rows.AddRange(RooflineRows());
        if (options.Parts.Contains("training")) rows.AddRange(Training(workDir));
        if (options.Parts.Contains("sweep")) rows.AddRange(Sweep(workDir));
        if (options.Parts.Contains("noise")) rows.AddRange(NoiseCost());
        if (options.Parts.Contains("pack")) rows.AddRange(Packing(workDir));
        if (options.Parts.Contains("checkpoints")) rows.AddRange(CheckpointCost(workDir));
        if (options.Parts.Contains("startup")) rows.AddRange(new StartupBench(options, log).Rows(workDir));
        return rows;
    }

    /// <summary>This machine's bounds at 1 and 2 threads (Roofline.measure): one SGEMM row and a
    /// triad row per memory level each.</summary>
    IEnumerable<BenchRow> RooflineRows()
    {
        var side = options.Quick ? 512 : SgemmSide;
        foreach (var threads in new[] { 1, 2 })
        {
            log($"roofline: SGEMM {side}x{side} and triads, {threads} thread(s)");
            var m = Roofline.measure(side, threads, options.Quick ? 1 : Math.Max(3, options.Repeat));
            var system = threads == 1 ? "1 thread" : $"{threads} threads";
            var flops = 2.0 * Math.Pow(side, 3);
            yield return new BenchRow("roofline", $"sgemm {side}", "", "", 0, system, flops / (m.Gflops * 1e9), side, "openblas " + Runtime.blasCore(),
                $"{m.Gflops:0.0} GFLOP/s", Flops: flops);
            foreach (var (level, gbs) in m.Bandwidth.Select(b => (b.Level, b.GBs)))
                yield return new BenchRow("roofline", $"triad {level.Name}", "", "", 0, system, level.Bytes / (gbs * 1e9), 0, "aten add_out",
                    $"{gbs:0.0} GB/s over {level.Bytes / Mib:0.##} MiB", Bytes: level.Bytes);
        }
        Runtime.setThreads(1);
    }

    /// <summary>Seconds to compute a trial's constant prefix for its partitions (on a copy of the
    /// rows, so the cache misses), or null when it has none that shrinks its rows.</summary>
    static double? ConstantPrefixSeconds(TrialConfig config, Lrbs.Core.Data.SplitData data)
    {
        var spec = Trials.Model(config, data);
        var copy = Trials.CopyRows(data);
        var clock = Stopwatch.StartNew();
        var (stripped, _) = ConstantPrefix.strip(spec, copy);
        return ParityInputs.Layers(stripped).Length < ParityInputs.Layers(spec).Length ? clock.Elapsed.TotalSeconds : null;
    }

    /// <summary>The arithmetic of one step of a case (StepCost).</summary>
    static Lrbs.Core.Training.StepCost.StepCost Cost(TrialConfig config, Lrbs.Core.Data.SplitData data) => Trials.Cost(config, data);

    /// <summary>The first-epoch training seconds of one run of a trial, through Trainer.run.</summary>
    static double TrainSeconds(TrialConfig config, Lrbs.Core.Data.SplitData data) =>
        Recorded.Trial(Trainer.run(config, data, Progress.None)).Epochs[0].Record.TrainSeconds;

    /// <summary>The best of the repeats' first-epoch training seconds of a trial.</summary>
    double BestTrainSeconds(TrialConfig config, Lrbs.Core.Data.SplitData data) => BestInTurns(config, data, [])[0];

    /// <summary>The same epoch with one of lrbs's own kernels switched off (Set(false) returns the
    /// previous setting): what that kernel saves.</summary>
    sealed record Variant(string System, Func<bool, bool> Set, string Note);

    /// <summary>The variants that apply to a case.</summary>
    static IEnumerable<Variant> Variants(BenchCase c, TrialConfig config, Lrbs.Core.Data.SplitData data)
    {
        if (c.Model == "mlp")
            yield return new("lrbs aten dense", Runtime.directDense, "the Dense layers through ATen's operations instead of the direct kernels");
        if (c.Model == "boxcnn")
            yield return new("lrbs im2col conv", Runtime.directConv, "the narrow convolutions through ATen's im2col kernels instead of the direct kernel");
        if (ConstantPrefixSeconds(config, data) is double once)
            yield return new("lrbs whole network", on => { var was = ConstantPrefix.enabled.Value; ConstantPrefix.enabled.Value = on; return was; },
                $"the constant prefix computed in every step; cached, it took {once:0.000} s once for the {data.Train.Count + data.Test.Count} rows");
    }

    /// <summary>The best training seconds of lrbs (first) and of each variant, run in turns (lrbs,
    /// each variant, lrbs again, ...) so that a slow spell of the machine falls on all of them.</summary>
    double[] BestInTurns(TrialConfig config, Lrbs.Core.Data.SplitData data, IReadOnlyList<Variant> variants)
    {
        var best = Enumerable.Repeat(double.PositiveInfinity, variants.Count + 1).ToArray();
        for (var r = 0; r < options.Repeat; r++)
        {
            best[0] = Math.Min(best[0], TrainSeconds(config, data));
            for (var i = 0; i < variants.Count; i++)
            {
                var previous = variants[i].Set(false);
                try { best[i + 1] = Math.Min(best[i + 1], TrainSeconds(config, data)); }
                finally { variants[i].Set(previous); }
            }
        }
        return best;
    }

    IEnumerable<BenchRow> Training(string workDir)
    {
        Lrbs.Core.Engine.Runtime.setThreads(1);
        var exported = new HashSet<string>();
        foreach (var c in TrainingCases(options.Quick))
        {
            var config = Config(c);
            var data = Prepare(config);
            var dir = Path.Combine(workDir, c.Model);
            if (exported.Add(c.Model)) BenchData.Export(data.Train, dir);
            var perEpoch = (data.Train.Count + c.BatchSize - 1) / c.BatchSize;
            var variants = Variants(c, config, data).ToList();
            log($"{c.Label}: lrbs" + string.Concat(variants.Select(v => ", " + v.System)));
            Trainer.run(Config(c, limit: 16 * c.BatchSize), Prepare(Config(c, limit: 16 * c.BatchSize)), Progress.None); // warm-up
            var seconds = BestInTurns(config, data, variants);
            var cost = Cost(config, data);
            yield return new BenchRow("training", c.Label, c.Model, c.Optimizer, c.BatchSize, "lrbs", seconds[0], perEpoch,
                LrbsVersion, null, Flops: cost.Flops, Bytes: cost.Bytes, WorkingSet: cost.WorkingSet);
            for (var i = 0; i < variants.Count; i++)
                yield return new BenchRow("training", c.Label, c.Model, c.Optimizer, c.BatchSize, variants[i].System, seconds[i + 1], perEpoch, LrbsVersion, variants[i].Note);
            foreach (var peer in options.Peers)
            {
                // full epochs for the native peers; TensorFlow.js times a fraction of one, scaled
                var steps = peer is TfjsWasm ? Math.Min(perEpoch, options.Quick ? 20 : 400) : perEpoch;
                log($"{c.Label}: {peer.Name}");
                var answers = Enumerable.Range(0, options.Repeat).Select(_ => peer.Run(dir, c, steps)).ToList();
                var best = answers.Where(a => a.SecondsPerEpoch is not null).MinBy(a => a.SecondsPerEpoch) ?? answers[0];
                yield return new BenchRow("training", c.Label, c.Model, c.Optimizer, c.BatchSize, peer.Name, best.SecondsPerEpoch, best.Steps, best.Version, best.Skipped);
            }
        }
    }

    /// <summary>The cost of measuring the gradient noise scale, with the studies' settings (S2:
    /// every 50 steps, micro-batches of 2; S7: every 20 steps): the same epoch with and without it.</summary>
    IEnumerable<BenchRow> NoiseCost()
    {
        Lrbs.Core.Engine.Runtime.setThreads(1);
        var cases = new (BenchCase Case, int Every)[]
        {
            (new BenchCase("mlp", "sgd", 0.01, 64), 50), (new BenchCase("mlp", "sgd", 0.01, 256), 50), (new BenchCase("boxcnn", "adam", 0.001, 256), 20),
        };
        foreach (var (c, every) in options.Quick ? cases.Take(1) : cases)
            foreach (var noise in new (int, int)?[] { null, (every, 2) })
            {
                log($"{c.Label}: lrbs{(noise is null ? "" : " + noise scale")}");
                var config = Config(c, noise: noise);
                var data = Prepare(config);
                var seconds = BestTrainSeconds(config, data);
                yield return new BenchRow("noise", c.Label, c.Model, c.Optimizer, c.BatchSize, noise is null ? "lrbs" : $"lrbs + noise scale (every {every}, b = 2)",
                    seconds, (data.Train.Count + c.BatchSize - 1) / c.BatchSize, "lrbs", null);
            }
    }

    /// <summary>The cost of a mid-trial checkpoint (capturing the state from the engine, encoding it,
    /// and writing it durably through the sweep's CheckpointStore) beside the epoch it ends (training
    /// and evaluation), on the S2 MLP and the S7 box CNN with Adam (the most optimizer state).</summary>
    IEnumerable<BenchRow> CheckpointCost(string workDir)
    {
        Lrbs.Core.Engine.Runtime.setThreads(1);
        var cases = new[] { new BenchCase("mlp", "adam", 0.001, 64), new BenchCase("boxcnn", "adam", 0.001, 256) };
        foreach (var c in options.Quick ? cases.Take(1) : cases)
        {
            log($"{c.Label}: lrbs + checkpoint");
            var config = Config(c, epochs: 2);
            var data = Prepare(config);
            var store = new CheckpointStore(Path.Combine(workDir, "checkpoints-" + c.Label.Replace(' ', '-')), CodeVersion.Current);
            var best = (Epoch: double.MaxValue, Save: double.MaxValue);
            for (var i = 0; i < options.Repeat; i++)
            {
                var saves = new List<double>();
                var checkpointing = Stored.Checkpointing(1, [], s =>
                {
                    var clock = Stopwatch.StartNew();
                    store.Save(s);
                    saves.Add(clock.Elapsed.TotalSeconds);
                });
                var r = Trainer.runPackWith(checkpointing, [config], data, Progress.None)[0];
                // the second epoch and its save: the first save made the folder and warmed the file system
                var epoch = Recorded.Trial(r).Epochs[1].Record.Seconds;
                if (epoch + saves[^1] < best.Epoch + best.Save) best = (epoch, saves[^1]);
            }
            var bytes = new FileInfo(Directory.EnumerateFiles(store.Dir).First()).Length;
            var steps = (data.Train.Count + c.BatchSize - 1) / c.BatchSize;
            yield return new BenchRow("checkpoints", c.Label, c.Model, c.Optimizer, c.BatchSize, "lrbs epoch", best.Epoch, steps, "lrbs", null);
            yield return new BenchRow("checkpoints", c.Label, c.Model, c.Optimizer, c.BatchSize, "lrbs epoch + checkpoint", best.Epoch + best.Save, steps, "lrbs",
                $"checkpoint {bytes / Mib:0.00} MiB, {best.Save * 1000:0.0} ms");
        }
    }

    const double Mib = 1024.0 * 1024.0;
    static string LrbsVersion => $"lrbs (libtorch {Runtime.libtorchVersion()}, fused native step)";

    /// <summary>Peak resident memory since the last reset (Linux: VmHWM, reset by clear_refs 5), in MiB.</summary>
    static double PeakRss(bool reset)
    {
        if (reset) { try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:"));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
    }

    /// <summary>The pack bench's cases: the S2 MLP on a quarter of S2's training rows and the S7
    /// box CNN on 1,000 of its images, SGD, 4 learning rates each.</summary>
    static readonly (string Model, string Label, (string, string)[] Data, double[] Lrs, int Rows, int QuickRows)[] PackCases =
    [
        ("mlp", "S2 MLP", [("dataset", "fashion-mnist"), ("split", "80/20"), ("model", "mlp-100-50")], [0.003, 0.01, 0.03, 0.1], 14000, 1000),
        ("boxcnn", "S7 box CNN", [("dataset", "boxes"), ("model", "cnn-box")], [0.01, 0.03, 0.1, 0.3], 1000, 128),
    ];

    /// <summary>20 trials (4 learning rates x 5 seeds) of the S2 MLP and of the S7 box CNN with SGD,
    /// 2 epochs, at batch 4 and 16: unpacked with 2 workers, packed with 2 workers, PyTorch eager
    /// one process per trial 2 at a time, and PyTorch's own packing (functorch.vmap over the
    /// stacked models, reference/bench/torch_vmap_pack.py) in 2 processes of half the trials at
    /// a time. Seconds for all 20, and peak memory. (About 70 lines: the four ways run side by side
    /// on the same trials, so that their timings are comparable.)</summary>
    IEnumerable<BenchRow> Packing(string workDir)
    {
        var seeds = options.Quick ? new[] { 1, 2 } : [1, 2, 3, 4, 5];
        var pytorch = options.Peers.OfType<PyTorchEager>().FirstOrDefault();
        foreach (var pc in options.Quick ? PackCases.Take(1) : PackCases)
            foreach (var b in options.Quick ? [16] : new[] { 4, 16 })
            {
                var (lrs, rows) = (pc.Lrs, options.Quick ? pc.QuickRows : pc.Rows);
                var trials = new List<PlannedTrial>();
                foreach (var seed in seeds)
                    foreach (var lr in lrs)
                    {
                        var fields = new List<(string, string)>(pc.Data) { ("optimizer", "sgd"), ("lr", lr.ToString("R")),
                        ("batch_size", b.ToString()), ("max_epochs", "2"), ("train_limit", rows.ToString()), ("seed", seed.ToString()) };
                        var c = Trials.Build(fields);
                        trials.Add(PlannedTrial.Of(trials.Count, c));
                    }
                var data = Prepare(trials[0].Config);
                var memory = Trials.PackMemory(trials[0].Config, data);
                var label = $"{trials.Count} {pc.Label} sgd trials b={b}";
                foreach (var packed in new[] { false, true })
                {
                    log($"{label}: lrbs {(packed ? "packed" : "unpacked")}");
                    var out_ = Path.Combine(workDir, $"pack-{b}-{packed}");
                    var runner = new SweepRunner(new Sweep("bench-pack", out_, packed, trials), new ResultsStore(out_), 2, Shard.All, "bench");
                    var units = packed ? SweepRunner.Packs(trials, 20, 2).Units : SweepRunner.Singles(trials);
                    var before = PeakRss(reset: true);
                    var engineBefore = Runtime.memoryLive();
                    Runtime.memoryPeak(true);
                    var clock = Stopwatch.StartNew();
                    runner.Run(units, new Silent(), CancellationToken.None);
                    var seconds = clock.Elapsed.TotalSeconds;
                    var peak = PeakRss(reset: false);
                    var engine = (Runtime.memoryPeak(false) - engineBefore) / Mib;
                    // the bound: 2 units at a time (2 workers), each PackMemory.bound of its K members
                    var members = units.Max(u => u.Trials.Count);
                    var bound = 2 * memory.Total(members) / Mib;
                    yield return new BenchRow("pack", label, pc.Model, "sgd", b, packed ? "lrbs packed (2 workers)" : "lrbs unpacked (2 workers)", seconds, trials.Count, LrbsVersion,
                        $"{units.Count} units of up to {members}; engine peak {engine:0.0} MiB, bound {bound:0.0} MiB " +
                        $"(2 x (data {memory.Data / Mib:0.0} + evaluation {memory.Evaluation / Mib:0.0} + {members} x (state {memory.State / Mib:0.00} + activations {memory.Activations / Mib:0.00} + order {memory.Order / Mib:0.00}))){(engine <= bound ? "" : ": ABOVE the bound")}; " +
                        $"peak RSS {peak:0} MiB, {peak - before:0} MiB above the start");
                }
                if (pytorch is null) continue;
                var why = pytorch.Unavailable();
                if (why is not null)
                {
                    yield return new BenchRow("pack", label, pc.Model, "sgd", b, "pytorch one process per trial (2 at a time)", null, 0, "", why);
                    yield return new BenchRow("pack", label, pc.Model, "sgd", b, VmapSystem, null, 0, "", why);
                    continue;
                }
                var dir = Path.Combine(workDir, $"pack-data-{pc.Model}");
                if (!Directory.Exists(dir)) BenchData.Export(data.Train, dir);
                log($"{label}: pytorch, one process per trial");
                var steps = 2 * ((data.Train.Count + b - 1) / b);
                var wall = Stopwatch.StartNew();
                var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
                var versions = new System.Collections.Concurrent.ConcurrentBag<string>();
                Parallel.ForEach(trials, new ParallelOptions { MaxDegreeOfParallelism = 2 }, t =>
                {
                    var answer = pytorch.Run(dir, new BenchCase(pc.Model, "sgd", t.Config.Lr, b), steps);
                    if (answer.Skipped is not null) failures.Add(answer.Skipped);
                    else versions.Add(answer.Version);
                });
                yield return new BenchRow("pack", label, pc.Model, "sgd", b, "pytorch one process per trial (2 at a time)", failures.IsEmpty ? wall.Elapsed.TotalSeconds : null, trials.Count,
                    versions.FirstOrDefault() ?? "", failures.FirstOrDefault() ?? "a process per trial, startup included");
                log($"{label}: pytorch, functorch vmap of the stacked models");
                yield return VmapPack(pytorch, dir, label, pc.Model, b, trials, data.Test.Count);
            }
    }

    const string VmapSystem = "pytorch vmap packs (2 processes)";

    /// <summary>PyTorch's packing peer on the pack bench's trials: two processes of half the trials
    /// each at the same time (as lrbs's 2 workers), each training its models stacked under
    /// functorch.vmap and evaluating them on as many rows as lrbs's test partition after each
    /// epoch; the seconds are the slower process's, start-up excluded.</summary>
    static BenchRow VmapPack(PyTorchEager pytorch, string dir, string label, string model, int b, List<PlannedTrial> trials, int evalRows)
    {
        var script = Path.Combine(Peer.Root, "reference", "bench", "torch_vmap_pack.py");
        var halves = trials.Chunk((trials.Count + 1) / 2).ToList();
        var answers = halves.AsParallel().WithDegreeOfParallelism(2).Select(h => Peer.Exec(pytorch.Python!,
            [script, dir, model, b.ToString(), "2", string.Join(",", h.Select(t => t.Config.Lr.ToString("R"))), string.Join(",", h.Select(t => t.Config.Seed)), evalRows.ToString()],
            Path.Combine(Peer.Root, "reference", "bench"))).ToList();
        if (answers.FirstOrDefault(a => a.Code != 0) is { Code: not 0 } bad)
            return new BenchRow("pack", label, model, "sgd", b, VmapSystem, null, 0, "", $"failed (exit {bad.Code}): {bad.Stderr.Trim().Split('\n').LastOrDefault()}");
        var docs = answers.Select(a => System.Text.Json.JsonDocument.Parse(a.Stdout.Trim().Split('\n').Last()).RootElement).ToList();
        return new BenchRow("pack", label, model, "sgd", b, VmapSystem, docs.Max(d => d.GetProperty("seconds").GetDouble()), trials.Count,
            docs[0].GetProperty("version").GetString()!, $"training and an evaluation of {evalRows} rows per epoch, as lrbs; start-up and data loading excluded");
    }

    /// <summary>The same 8 trials through the sweep runner with 1 and then 2 workers.</summary>
    IEnumerable<BenchRow> Sweep(string workDir)
    {
        var trials = new List<PlannedTrial>();
        foreach (var lr in new[] { 0.001, 0.003, 0.01, 0.03 })
            foreach (var b in new[] { 16, 32 })
            {
                var fields = new List<(string, string)> { ("dataset", "fashion-mnist"), ("split", "80/20"), ("optimizer", "sgd"), ("lr", lr.ToString("R")),
                    ("batch_size", b.ToString()), ("max_epochs", options.Quick ? "1" : "2") };
                if (options.Quick) fields.Add(("train_limit", "1000"));
                var c = Trials.Build(fields);
                trials.Add(PlannedTrial.Of(trials.Count, c));
            }
        Prepare(trials[0].Config); // the data is loaded once per process; not part of either timing
        foreach (var workers in new[] { 1, 2 })
        {
            log($"sweep of {trials.Count} trials: {workers} worker(s)");
            var out_ = Path.Combine(workDir, $"sweep-{workers}");
            var sweep = new Sweep("bench", out_, false, trials);
            var runner = new SweepRunner(sweep, new ResultsStore(out_), workers, Shard.All, "bench");
            var clock = Stopwatch.StartNew();
            runner.Run(SweepRunner.Singles(trials), new Silent(), CancellationToken.None);
            yield return new BenchRow("sweep", $"{trials.Count} trials", "mlp", "sgd", 0, $"lrbs {workers} worker{(workers > 1 ? "s" : "")}",
                clock.Elapsed.TotalSeconds, trials.Count, "lrbs sweep run (in process)", null);
        }
    }

    sealed class Silent : ISweepObserver
    {
        public void Started(PlannedTrial t) { }
        public void Epoch(PlannedTrial t, EpochRecord e) { }
        public void Finished(PlannedTrial t, TrialResult r) { }
    }
}
