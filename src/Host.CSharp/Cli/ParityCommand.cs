using Lrbs.Core.Data;
using Lrbs.Host.Parity;
using Lrbs.Host.Presentation;
using Spectre.Console;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs parity`: the parity matrix against TensorFlow.js or the Python reference.</summary>
public static class ParityCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var reference = new Option<string>("--reference") { Description = "tfjs (TensorFlow.js in node) or python (the float64 numpy oracle of the Keras formulas, run in process on Debian's libpython3.11; LRBS_LIBPYTHON names another libpython).", DefaultValueFactory = _ => "tfjs" };
        reference.AcceptOnlyFromAmong("tfjs", "python");
        var filter = new Option<string?>("--filter") { Description = "Only cases whose name contains this text (e.g. 'adam', 'batch 64', 'S7')." };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps per case (the learning rate halves in the middle).", DefaultValueFactory = _ => ParityCases.DefaultSteps };
        var outDir = new Option<string>("--out") { Description = "Folder for the Parquet table parity-REFERENCE.parquet.", DefaultValueFactory = _ => Path.Combine("results", "parity") };
        var cmd = new Command("parity", "Run the parity matrix (the studies' models x SGD, momentum and Adam forms x batch sizes 1, 4, 64) against a TensorFlow reference; per case the largest differences of the losses at every step, the first step's gradients and the final weights, PASS/FAIL against the stated tolerances. Exits 1 if any case fails.")
        {
            reference, filter, steps, outDir,
        };
        cmd.SetAction(parse =>
        {
            var n = parse.GetValue(steps);
            if (n < 2) { error.WriteLine($"error: --steps must be >= 2, got {n}"); return ExitCodes.BadInput; }
            var root = Registry.repositoryRoot();
            IReference bridge = parse.GetValue(reference) == "python" ? PythonReference.Create(root) : ReferenceBridge.Tfjs(root);
            var text = parse.GetValue(filter);
            var cases = ParityCases.All(n).Where(c => text is null || c.Name.Contains(text, StringComparison.OrdinalIgnoreCase)).ToList();
            if (cases.Count == 0) { error.WriteLine($"error: --filter '{text}' matches no case"); return ExitCodes.BadInput; }
            var work = Path.Combine(Path.GetTempPath(), $"lrbs-parity-{Guid.NewGuid():N}");
            try
            {
                Lrbs.Core.Engine.Runtime.setThreads(1);
                var results = ParityRunner.Run(cases, bridge, work, ParityRunner.Engine);
                Print(results, output);
                Save(results, parse.GetValue(outDir)!, bridge.Name);
                return results.Any(r => r.Verdict == "FAIL") ? ExitCodes.Failed : ExitCodes.Ok;
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, true);
            }
        });
        return cmd;
    }

    static string F(double? v) => v is double d ? d.ToString("0.0E+0", CultureInfo.InvariantCulture) : "";

    static void Print(IReadOnlyList<CaseResult> results, TextWriter output)
    {
        var console = Consoles.For(output);
        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "case", "loss max abs", "loss max rel", "grad max abs", "grad max rel", "weight max abs", "weight max rel", "verdict" }) table.AddColumn(c);
        foreach (var r in results)
            table.AddRow(Markup.Escape(r.Case.Name), F(r.Loss?.MaxAbs), F(r.Loss?.MaxRel), F(r.Gradients?.MaxAbs), F(r.Gradients?.MaxRel),
                F(r.Weights?.MaxAbs), F(r.Weights?.MaxRel), r.Verdict switch { "PASS" => "[green]PASS[/]", "FAIL" => "[red]FAIL[/]", _ => Markup.Escape("SKIP: " + r.Note) });
        console.Write(table);
        output.WriteLine($"reference: {results.FirstOrDefault()?.Reference}; lrbs {CodeVersion.Current}");
        output.WriteLine($"tolerances: {Comparison.Describe}");
        output.WriteLine($"{results.Count(r => r.Verdict == "PASS")} PASS, {results.Count(r => r.Verdict == "FAIL")} FAIL, {results.Count(r => r.Verdict == "SKIP")} SKIP");
    }

    static void Save(IReadOnlyList<CaseResult> results, string outDir, string reference)
    {
        Directory.CreateDirectory(outDir);
        ParquetPart.Write(results.Select(r => ParityRow.Of(r, CodeVersion.Current)).ToList(), Path.Combine(outDir, $"parity-{reference}.parquet"));
    }
}
