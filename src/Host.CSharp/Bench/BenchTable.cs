namespace Lrbs.Host.Bench;

/// <summary>Ratios of lrbs to each peer, the issue's targets, the printed table and the Parquet file.</summary>
public static class BenchTable
{
    /// <summary>The target on lrbs / peer time for a case, if there is one.</summary>
    public static double? Target(BenchRow peer) => peer.System switch
    {
        "pytorch" => peer.BatchSize <= 16 ? 0.5 : 1.0,
        "libtorch" => 1.2,
        _ => null,
    };

    public sealed record Ratio(BenchRow Peer, double? LrbsSeconds, double? Value, double? Target, string Verdict);

    public static IReadOnlyList<Ratio> Ratios(IReadOnlyList<BenchRow> rows)
    {
        var result = new List<Ratio>();
        foreach (var peer in rows.Where(r => r.Part == "training" && r.System != "lrbs"))
        {
            var lrbs = rows.FirstOrDefault(r => r.Part == "training" && r.System == "lrbs" && r.Case == peer.Case)?.Seconds;
            double? ratio = lrbs is double l && peer.Seconds is double p ? l / p : null;
            var target = Target(peer);
            var verdict = peer.Seconds is null ? "skipped" : target is null ? "" : ratio <= target ? "met" : "MISSED";
            result.Add(new Ratio(peer, lrbs, ratio, target, verdict));
        }
        return result;
    }

    /// <summary>Throughput of 2 workers over 1 (target >= 1.8), or null.</summary>
    public static double? SweepSpeedup(IReadOnlyList<BenchRow> rows) => Speedup(rows, "sweep", "lrbs 1 worker", "lrbs 2 workers");

    /// <summary>The same for the short sweep run as whole commands (start-up included), or null.</summary>
    public static double? WholeSweepSpeedup(IReadOnlyList<BenchRow> rows) => Speedup(rows, "startup-sweep", "1 worker", "2 workers");

    /// <summary>The same runs' training alone (from their trial rows), or null: the ceiling of the whole-command ratio.</summary>
    public static double? TrainingSpanSpeedup(IReadOnlyList<BenchRow> rows) => Speedup(rows, "startup-training", "1 worker", "2 workers");

    /// <summary>For a whole-command ratio `target`: the most the part of the command outside the
    /// training (the same for 1 and 2 workers) may take, given the training spans T1 and T2:
    /// (F + T1) / (F + T2) >= target when F <= (T1 - target T2) / (target - 1); and that part as
    /// measured (the 1-worker command less its training span). Null without both spans.</summary>
    public static (double Allowed, double Now)? FixedPartFor(IReadOnlyList<BenchRow> rows, double target)
    {
        if (Seconds(rows, "startup-training", "1 worker") is not double t1 || Seconds(rows, "startup-training", "2 workers") is not double t2
            || Seconds(rows, "startup-sweep", "1 worker") is not double whole)
            return null;
        return ((t1 - target * t2) / (target - 1), whole - t1);
    }

    static double? Speedup(IReadOnlyList<BenchRow> rows, string part, string one, string two) =>
        Seconds(rows, part, one) is double x && Seconds(rows, part, two) is double y ? x / y : null;

    /// <summary>The seconds of the first row of a part and system, or null.</summary>
    static double? Seconds(IReadOnlyList<BenchRow> rows, string part, string system) =>
        rows.FirstOrDefault(r => r.Part == part && r.System == system)?.Seconds;

    /// <summary>The machine's bounds at a thread count ("1 thread"), from the roofline rows, or null.</summary>
    public static Lrbs.Core.Engine.Roofline.Machine? Machine(IReadOnlyList<BenchRow> rows, string system)
    {
        var sgemm = rows.FirstOrDefault(r => r.Part == "roofline" && r.System == system && r.Case.StartsWith("sgemm") && r.Seconds > 0);
        var triads = rows.Where(r => r.Part == "roofline" && r.System == system && r.Case.StartsWith("triad ") && r.Seconds > 0 && r.Bytes > 0)
            .Select(r => new Lrbs.Core.Engine.Roofline.Stream(new Lrbs.Core.Engine.Roofline.Level(r.Case["triad ".Length..], (long)r.Bytes!.Value), r.Bytes!.Value / r.Seconds!.Value / 1e9))
            .ToArray();
        if (sgemm is null || triads.Length == 0) return null;
        var threads = system == "1 thread" ? 1 : int.Parse(system.Split(' ')[0], CultureInfo.InvariantCulture);
        return new(threads, sgemm.Steps, sgemm.Flops!.Value / sgemm.Seconds!.Value / 1e9, triads);
    }

    /// <summary>A training case against its bound: achieved GFLOP/s, the least time per step the
    /// roofline allows (and what sets it), the fraction of that bound reached, and the issue's
    /// target on that fraction where there is one.</summary>
    public sealed record Bound(BenchRow Case, double StepSeconds, double Gflops, double BoundSeconds, string By, double Fraction, double? Target);

    /// <summary>The issue's targets on the fraction of the bound: the S2 MLP at batch 256 (0.7) and
    /// 4 (0.5), the S7 box CNN at batch 64 and above (0.5).</summary>
    public static double? BoundTarget(BenchRow r) => (r.Model, r.BatchSize) switch
    {
        ("mlp", 256) => 0.7,
        ("mlp", 4) => 0.5,
        ("boxcnn", >= 64) => 0.5,
        _ => null,
    };

    /// <summary>Every lrbs training case with its step's arithmetic, against the 1-thread bounds (the
    /// cases train on one thread).</summary>
    public static IReadOnlyList<Bound> Bounds(IReadOnlyList<BenchRow> rows)
    {
        if (Machine(rows, "1 thread") is not { } m) return [];
        return rows.Where(r => r.Part == "training" && r.System == "lrbs" && r.Seconds > 0 && r.Steps > 0 && r.Flops is not null)
            .Select(r =>
            {
                var step = r.Seconds!.Value / r.Steps;
                var bound = Lrbs.Core.Engine.Roofline.bound(m, r.Flops!.Value, r.Bytes!.Value, r.WorkingSet!.Value);
                var (least, by) = (bound.Seconds, bound.By);
                return new Bound(r, step, r.Flops.Value / step / 1e9, least, by, least / step, BoundTarget(r));
            }).ToList();
    }

    /// <summary>The issue's target on packed lrbs's throughput over this row, as "met: " or "MISSED: ", or "".</summary>
    public static string PackVerdict(BenchRow r, double? packed)
    {
        double? target = (r.Model, r.BatchSize, r.System) switch
        {
            ("mlp", 4, var s) when s.StartsWith("lrbs unpacked") => 3.0,
            ("mlp", 16, var s) when s.StartsWith("lrbs unpacked") => 1.5,
            ("mlp", 4, var s) when s.StartsWith("pytorch one process") => 6.0,
            ("boxcnn", 4 or 16, var s) when s.StartsWith("lrbs unpacked") => 2.0,
            ("boxcnn", 4 or 16, var s) when s.StartsWith("pytorch vmap") => 1.0,
            _ => null,
        };
        if (target is not double t || r.Seconds is not double s2 || packed is not double p) return "";
        return $"target >= {t:0.0}x: {(s2 / p > t ? "met" : "MISSED")}; ";
    }

    static string F(double? v, string format = "0.000") => v is double d ? d.ToString(format, CultureInfo.InvariantCulture) : "-";

    /// <summary>The bench's tables, part by part, each only where its rows were measured.</summary>
    public static void Print(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        PrintMachine(rows, output);
        PrintRoofline(rows, output);
        PrintTraining(rows, output);
        PrintNoiseCost(rows, output);
        PrintCheckpointCost(rows, output);
        PrintPacks(rows, output);
        PrintStartup(rows, output);
        PrintWholeSweep(rows, output);
        PrintSweep(rows, output);
    }

    /// <summary>Prints this machine's compute and bandwidth, per thread count.</summary>
    static void PrintMachine(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        foreach (var system in new[] { "1 thread", "2 threads" })
            if (Machine(rows, system) is { } m)
                output.WriteLine($"this machine, {system}: SGEMM {m.Side}x{m.Side} {F(m.Gflops, "0.0")} GFLOP/s; triad " +
                    string.Join(", ", m.Bandwidth.Select(b => $"{b.Level.Name} ({F(b.Level.Bytes / 1048576.0, "0.##")} MiB) {F(b.GBs, "0.0")} GB/s")));
    }

    /// <summary>Prints each case's roofline bound and the fraction of it reached.</summary>
    static void PrintRoofline(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        var bounds = Bounds(rows);
        if (bounds.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("roofline (one thread; per step: FLOPs and bytes from StepCost, the least time max(FLOPs / peak, bytes / bandwidth of the level holding the working set)):");
            output.WriteLine($"  {"case",-26} {"MFLOP",9} {"MB moved",9} {"work set",9} {"GFLOP/s",8} {"bound",8}  {"of bound",8}");
            foreach (var b in bounds)
                output.WriteLine($"  {b.Case.Case,-26} {F(b.Case.Flops / 1e6, "0.00"),9} {F(b.Case.Bytes / 1e6, "0.00"),9} {F(b.Case.WorkingSet / 1e6, "0.00") + " MB",9} " +
                    $"{F(b.Gflops, "0.0"),8} {b.By,8}  {F(b.Fraction, "0.00"),8}" +
                    (b.Target is double t ? $"  target >= {t:0.0}: {(b.Fraction >= t ? "met" : "MISSED")}" : "") + (b.Fraction < 0.5 ? "  (below half)" : ""));
            output.WriteLine();
        }
    }

    /// <summary>Prints seconds per training epoch beside the peers, and the ratios against their targets.</summary>
    static void PrintTraining(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        var training = rows.Where(r => r.Part == "training").ToList();
        if (training.Count > 0)
        {
            output.WriteLine("Seconds per training epoch (same rows, one thread each; lower is better):");
            var systems = training.Select(r => r.System).Distinct().ToList();
            output.WriteLine(string.Join(" | ", new[] { "case".PadRight(26) }.Concat(systems.Select(s => s.PadLeft(10)))));
            foreach (var group in training.GroupBy(r => r.Case))
                output.WriteLine(string.Join(" | ", new[] { group.Key.PadRight(26) }.Concat(systems.Select(s => F(group.FirstOrDefault(r => r.System == s)?.Seconds).PadLeft(10)))));
            output.WriteLine();
            output.WriteLine("lrbs / peer (time ratio; target: <= 0.5 x pytorch at batch <= 16, <= 1.0 x pytorch, <= 1.2 x libtorch):");
            foreach (var r in Ratios(rows))
                output.WriteLine($"  {r.Peer.Case,-26} vs {r.Peer.System,-10} {F(r.Value),7}  {(r.Target is double t ? $"target <= {t:0.0}" : ""),-14} {r.Verdict}{(r.Peer.Note is null ? "" : $" ({r.Peer.Note})")}");
        }
    }

    /// <summary>Prints what the gradient noise scale measurement costs.</summary>
    static void PrintNoiseCost(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        foreach (var g in Part(rows, "noise", "cost of the gradient noise scale measurement (training seconds per epoch):", output))
        {
            var plain = g.First(r => r.System == "lrbs").Seconds;
            var with = g.First(r => r.System != "lrbs");
            output.WriteLine($"  {g.Key,-26} {F(plain)} s -> {F(with.Seconds)} s with {with.System[7..]}: x{F(with.Seconds / plain, "0.00")}");
        }
    }

    /// <summary>One part's rows by case, after a blank line and the heading; nothing printed when the part has no rows.</summary>
    static List<IGrouping<string, BenchRow>> Part(IReadOnlyList<BenchRow> rows, string part, string heading, TextWriter output)
    {
        var groups = rows.Where(r => r.Part == part).GroupBy(r => r.Case).ToList();
        if (groups.Count == 0) return groups;
        output.WriteLine();
        output.WriteLine(heading);
        return groups;
    }

    /// <summary>Prints what a mid-trial checkpoint costs.</summary>
    static void PrintCheckpointCost(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        foreach (var g in Part(rows, "checkpoints", "cost of a mid-trial checkpoint (one epoch, training and evaluation, then its save; target: a few percent):", output))
        {
            var plain = g.First(r => r.System == "lrbs epoch").Seconds;
            var with = g.First(r => r.System != "lrbs epoch");
            output.WriteLine($"  {g.Key,-26} {F(plain)} s -> {F(with.Seconds)} s with its checkpoint ({with.Note}): +{F((with.Seconds / plain - 1) * 100, "0.00")}%");
        }
    }

    /// <summary>Prints packed trials against unpacked and PyTorch.</summary>
    static void PrintPacks(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        var packs = rows.Where(r => r.Part == "pack").GroupBy(r => r.Case).ToList();
        if (packs.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("packed trials (seconds for all trials; throughput of packed lrbs over each; targets: S2 MLP >= 3x unpacked at b=4, >= 1.5x at b=16, >= 6x pytorch at b=4;");
            output.WriteLine("S7 box CNN >= 2x unpacked at b=4 and 16, and ahead of PyTorch's vmap packing):");
            foreach (var g in packs)
            {
                var packed = g.First(r => r.System.StartsWith("lrbs packed")).Seconds;
                foreach (var r in g)
                    output.WriteLine($"  {g.Key,-28} {r.System,-44} {F(r.Seconds, "0.0"),8} s  x{F(r.Seconds / packed, "0.00")}  {PackVerdict(r, packed)}{r.Note ?? r.Version}");
            }
        }
    }

    /// <summary>Prints start-up of a whole command.</summary>
    static void PrintStartup(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        var startup = rows.Where(r => r.Part == "startup").ToList();
        if (startup.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("start-up (`./lrbs train --dataset D --model M --epochs 1 --train-limit 64 --batch-size 32 --json` in fresh processes, best of the repeats;");
            output.WriteLine("the first step as the process measures it from its own start, the whole command timed from outside, launcher included):");
            foreach (var r in startup)
            {
                var verdict = r.Seconds is null ? "not measured: no timing line" : r.Seconds <= StartupBench.Cases.First(c => c.Dataset == r.Case).Target ? "met" : "MISSED";
                output.WriteLine($"  {r.Case,-14} {r.System,-24} {F(r.Seconds, "0.00")} s  peak {F(r.PeakGb, "0.00")} GB  ({r.Note}: {verdict})");
            }
        }
    }

    /// <summary>Prints a whole sweep command with 2 workers over 1, and the ceiling the training alone sets.</summary>
    static void PrintWholeSweep(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        var whole = WholeSweepSpeedup(rows);
        if (whole is not null)
        {
            output.WriteLine();
            foreach (var r in rows.Where(r => r.Part == "startup-sweep"))
                output.WriteLine($"sweep of {r.Case} as a whole command (`./lrbs sweep run examples/short-sweep.yaml --workers N`): {r.System}: {F(r.Seconds, "0.00")} s, peak {F(r.PeakGb, "0.00")} GB");
            output.WriteLine($"whole-command throughput of 2 workers over 1: {F(whole, "0.00")}x (target >= {StartupBench.SweepTarget:0.0}: {(whole >= StartupBench.SweepTarget ? "met" : "MISSED")})");
            var spans = rows.Where(r => r.Part == "startup-training").ToList();
            foreach (var r in spans)
                output.WriteLine($"  the same runs' training alone, {r.System}: {F(r.Seconds, "0.00")} s ({r.Note})");
            if (TrainingSpanSpeedup(rows) is double ceiling)
            {
                output.WriteLine($"  training alone, 2 workers over 1: {F(ceiling, "0.00")}x: the most the whole command can approach on this machine, start-up or not");
                if (FixedPartFor(rows, StartupBench.SweepTarget) is var (allowed, now))
                    output.WriteLine(allowed > 0
                        ? $"  {StartupBench.SweepTarget:0.0}x would need the part of the command outside the training under {F(allowed, "0.00")} s; it is {F(now, "0.00")} s"
                        : $"  {StartupBench.SweepTarget:0.0}x is out of reach with this training ratio, even with no start-up at all");
            }
        }
    }

    /// <summary>Prints a sweep's throughput with 2 workers over 1.</summary>
    static void PrintSweep(IReadOnlyList<BenchRow> rows, TextWriter output)
    {
        var speedup = SweepSpeedup(rows);
        if (speedup is not null)
        {
            output.WriteLine();
            foreach (var r in rows.Where(r => r.Part == "sweep")) output.WriteLine($"sweep of {r.Case}: {r.System}: {F(r.Seconds, "0.00")} s");
            output.WriteLine($"throughput of 2 workers over 1: {F(speedup, "0.00")}x (target >= 1.8: {(speedup >= 1.8 ? "met" : "MISSED")})");
        }

    }

    public static void Save(IReadOnlyList<BenchRow> rows, string path, string codeVersion)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var ratios = Ratios(rows).ToDictionary(r => r.Peer);
        var bounds = Bounds(rows).ToDictionary(b => b.Case);
        var now = DateTime.UtcNow;
        ParquetPart.Write(rows.Select(r =>
        {
            ratios.TryGetValue(r, out var q);
            bounds.TryGetValue(r, out var b);
            return new BenchPartRow
            {
                Part = r.Part, Case = r.Case, Model = r.Model, Optimizer = r.Optimizer, BatchSize = r.BatchSize, System = r.System,
                Seconds = Storage.Rows.TrialRow.Finite(r.Seconds), Steps = r.Steps, Version = r.Version, Note = r.Note, PeakGb = r.PeakGb,
                LrbsOverSystem = Storage.Rows.TrialRow.Finite(q?.Value), Target = q?.Target, Verdict = q?.Verdict,
                Flops = r.Flops, Bytes = r.Bytes, WorkingSet = r.WorkingSet, BoundSeconds = b?.BoundSeconds, BoundBy = b?.By,
                FractionOfBound = b?.Fraction, BoundTarget = b?.Target,
                CodeVersion = codeVersion, Machine = Environment.MachineName, MeasuredAt = Lrbs.Host.Storage.Rows.Micros.Of(now),
            };
        }).ToList(), path);
    }
}
