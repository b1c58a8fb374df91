using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Lrbs.Host.Bench;

/// <summary>What a user waits for, timed from outside: `./lrbs train` to its first step and to its
/// exit, in fresh processes with LRBS_TIMING=1 (which prints each phase's time and the peak
/// resident memory), with the decoded cache warm and cold; and a sweep of 8 short trials
/// (examples/short-sweep.yaml) as a whole command with 1 and 2 workers, and again with nothing
/// left to run (its fixed part). Each best of the bench's repeats.</summary>
public sealed partial class StartupBench(BenchOptions options, Action<string> log)
{
    /// <summary>The cluster issue's targets: the first step within 1 s (Fashion-MNIST, MNIST) and 2 s (the S7 boxes).</summary>
    public static readonly (string Dataset, string Model, double Target)[] Cases = [("fashion-mnist", "mlp-100-50", 1.0), ("mnist", "mlp-100-50", 1.0), ("boxes", "cnn-box", 2.0)];

    /// <summary>Two workers over one on the short sweep, as whole commands (the cluster issue's target).</summary>
    public const double SweepTarget = 1.8;

    sealed record Run(double Wall, double? FirstStep, double? PeakGb);

    public IEnumerable<BenchRow> Rows(string workDir)
    {
        var root = Lrbs.Core.Data.Registry.repositoryRoot();
        foreach (var (dataset, model, target) in options.Quick ? Cases.Take(1) : Cases)
        {
            var args = new List<string> { "train", "--dataset", dataset, "--model", model, "--epochs", "1", "--train-limit", "64", "--batch-size", "32", "--json" };
            foreach (var cold in new[] { false, true })
            {
                log($"start-up: {dataset}{(cold ? ", cold decoded cache" : "")}");
                if (!cold) Launch(root, args, null); // fills the cache the warm runs read
                var runs = Enumerable.Range(0, options.Repeat).Select(i =>
                {
                    var cache = cold ? Path.Combine(workDir, $"cache-{dataset}-{i}") : null;
                    return Launch(root, args, cache);
                }).ToList();
                var best = runs.MinBy(r => r.FirstStep ?? double.MaxValue)!;
                var system = cold ? "first step, cold cache" : "first step";
                yield return new BenchRow("startup", dataset, model, "sgd", 32, system, best.FirstStep, 1, "lrbs",
                    $"whole command {F(runs.Min(r => r.Wall))} s; target <= {target:0.0} s", runs.Min(r => r.PeakGb));
            }
        }
        var sweepFile = Path.Combine(root, "examples", "short-sweep.yaml");
        foreach (var workers in new[] { 1, 2 })
        {
            log($"start-up: short sweep, {workers} worker(s)");
            var runs = Enumerable.Range(0, options.Repeat).Select(i =>
            {
                var out_ = Path.Combine(workDir, $"sweep-{workers}-{i}");
                return Launch(root, ["sweep", "run", sweepFile, "--out", out_, "--workers", workers.ToString()], null);
            }).ToList();
            var label = $"{workers} worker{(workers > 1 ? "s" : "")}";
            yield return new BenchRow("startup-sweep", "8 short trials", "mlp-100-50", "sgd, adam", 0, label,
                runs.Min(r => r.Wall), 8, "lrbs", "sweep run, whole command", runs.Min(r => r.PeakGb));
            // the same runs' training alone, from their trial rows: what the whole command's ratio can at most approach
            var spans = Enumerable.Range(0, options.Repeat).Select(i => TrainingSpan(Path.Combine(workDir, $"sweep-{workers}-{i}"))).ToList();
            var best = spans.MinBy(x => x.Span);
            yield return new BenchRow("startup-training", "8 short trials", "mlp-100-50", "sgd, adam", 0, label,
                best.Span, 8, "lrbs", $"first trial's start to last commit; the trials' own times add up to {F(best.TrialSeconds)} s", null);
        }
        log("start-up: short sweep, nothing left to run");
        var idle = Enumerable.Range(0, options.Repeat).Select(_ => Launch(root, ["sweep", "run", sweepFile, "--out", Path.Combine(workDir, "sweep-1-0"), "--workers", "1"], null)).ToList();
        yield return new BenchRow("startup-sweep", "8 short trials", "mlp-100-50", "sgd, adam", 0, "nothing to run", idle.Min(r => r.Wall), 0, "lrbs",
            "the same command once every trial is committed: its fixed part", idle.Min(r => r.PeakGb));
    }

    /// <summary>A finished sweep folder's training span (the first trial's start to the last
    /// trial's commit, from the trial rows' finished_at and wall_seconds) and its trials' own
    /// seconds added up (their sum over the span is how many trials ran at once, on average).</summary>
    static (double Span, double TrialSeconds) TrainingSpan(string outDir)
    {
        var row = Lrbs.Host.Storage.ResultsReader.Query(outDir,
            "SELECT (max(epoch_ms(finished_at)) - min(epoch_ms(finished_at) - wall_seconds * 1000)) / 1000.0, sum(wall_seconds) FROM trials").Rows[0];
        return (double.Parse(row[0]!, CultureInfo.InvariantCulture), double.Parse(row[1]!, CultureInfo.InvariantCulture));
    }

    static string F(double? v) => v is double d ? d.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    /// <summary>Runs `./lrbs ARGS` as a user would (the launcher), timed from outside; its first
    /// step and peak memory from its LRBS_TIMING lines (the largest of its processes').</summary>
    static Run Launch(string root, IReadOnlyList<string> args, string? cache)
    {
        var psi = new ProcessStartInfo(Path.Combine(root, "lrbs")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["LRBS_TIMING"] = "1";
        if (cache is not null) psi.Environment["LRBS_CACHE"] = cache;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var wall = clock.Elapsed.TotalSeconds;
        _ = stdout.Result;
        if (p.ExitCode != 0) throw new InvalidOperationException($"lrbs {string.Join(' ', args)} exited {p.ExitCode}: {stderr.Trim()}");
        double? first = FirstStep().Match(stderr) is { Success: true } m ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        var peaks = Peak().Matches(stderr).Select(x => double.Parse(x.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        return new Run(wall, first, peaks.Count > 0 ? peaks.Max() : null);
    }

    [GeneratedRegex(@"first step done ([0-9.]+) s")] private static partial Regex FirstStep();
    [GeneratedRegex(@"\(peak ([0-9.]+) GB\)")] private static partial Regex Peak();
}
