using Lrbs.Host.Bench;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs bench`: lrbs beside PyTorch eager, a libtorch C++ loop and TensorFlow.js on the same
/// rows, and the sweep with 1 and 2 workers; prints the ratios and writes BENCH/bench.parquet.</summary>
public static class BenchCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var quick = new Option<bool>("--quick") { Description = "Small row counts and fewer cases: checks that the bench and its peers run (seconds), not a measurement to quote." };
        var repeat = new Option<int>("--repeat") { Description = "Runs per system and case; the best is kept.", DefaultValueFactory = _ => 1 };
        var only = new Option<string[]>("--only") { Description = $"Parts to run: {string.Join(", ", BenchRunner.Parts)} (default: all).", AllowMultipleArgumentsPerToken = true };
        only.AcceptOnlyFromAmong(BenchRunner.Parts);
        var outDir = new Option<string>("--out") { Description = "Folder for bench.parquet.", DefaultValueFactory = _ => Path.Combine("results", "bench") };
        var cmd = new Command("bench", "Measure this machine's bounds (SGEMM GFLOP/s and triad bandwidth per memory level, 1 and 2 threads) and grade each lrbs case by the fraction of its roofline bound it reaches; measure lrbs's epoch time beside PyTorch eager (python3-torch), a libtorch C++ loop and TensorFlow.js (wasm) on the S2 MLP (SGD, Adam; batch 4, 16, 64, 256) and the S7 box CNN (batch 16, 256), then a sweep of 8 trials with 1 and 2 workers, the cost of the gradient noise scale measurement, the cost of a mid-trial checkpoint, 20 trials packed against unpacked and against PyTorch one process per trial, and the start-up as a user waits for it (`./lrbs train` to its first step, a short sweep as a whole command with 1 and 2 workers). Missing peers are skipped rows with the reason.")
        {
            quick, repeat, only, outDir,
        };
        cmd.SetAction(parse =>
        {
            var n = parse.GetValue(repeat);
            if (n < 1) { error.WriteLine($"error: --repeat: expected an integer >= 1, got '{n}'"); return ExitCodes.BadInput; }
            var parts = parse.GetValue(only) is { Length: > 0 } p ? p.ToHashSet() : BenchRunner.Parts.ToHashSet();
            var peers = new List<Peer>
            {
                new PyTorchEager(Environment.GetEnvironmentVariable("LRBS_PYTHON")),
                new LibtorchLoop(),
                new TfjsWasm(Environment.GetEnvironmentVariable("LRBS_NODE") ?? "node"),
            };
            var work = Path.Combine(Path.GetTempPath(), $"lrbs-bench-{Guid.NewGuid():N}");
            try
            {
                var rows = new BenchRunner(new BenchOptions(parse.GetValue(quick), n, peers, parts), m => error.WriteLine($"bench: {m}")).Run(work);
                BenchTable.Print(rows, output);
                var path = Path.Combine(parse.GetValue(outDir)!, "bench.parquet");
                BenchTable.Save(rows, path, CodeVersion.Current);
                output.WriteLine($"wrote {path}");
                return ExitCodes.Ok;
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, true);
            }
        });
        return cmd;
    }
}
