using System.Diagnostics;
using System.Text.Json;

namespace Lrbs.Host.Parity;

/// <summary>A reference's answer to one case (reference/CASES.md).</summary>
public sealed record ReferenceAnswer(string Reference, string? Unsupported, double[] Losses, double[][] Gradients, double[][] Weights);

/// <summary>A reference implementation run as a subprocess: TensorFlow.js in node, or the
/// Python reference in python3 with numpy. One process answers many cases.</summary>
public sealed record ReferenceBridge(string Name, string Program, string Script, string InstallHint)
{
    public static ReferenceBridge Tfjs(string root) =>
        new("tfjs", Environment.GetEnvironmentVariable("LRBS_NODE") ?? "node", Path.Combine(root, "reference", "tfjs", "run-case.js"),
            "install Node.js (apt-get install nodejs npm) and run ./scripts/setup.sh for the pinned @tensorflow/tfjs-* packages");

    public static ReferenceBridge Python(string root) =>
        new("python", Environment.GetEnvironmentVariable("LRBS_PYTHON") ?? FindPythonWithNumpy(), Path.Combine(root, "reference", "python", "run_case.py"),
            "install Python 3 with numpy (apt-get install python3-numpy; ./scripts/setup.sh does) or set LRBS_PYTHON");

    /// <summary>The first python3 on PATH that imports numpy (Debian's /usr/bin/python3 as a fallback).</summary>
    static string FindPythonWithNumpy()
    {
        foreach (var candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(candidate, ["-c", "import numpy"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                p.WaitForExit();
                if (p.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception) { }
        }
        return "python3";
    }

    /// <summary>Runs the reference on case folders, split over `processes` concurrent processes;
    /// returns one answer per folder, in order.</summary>
    public IReadOnlyList<ReferenceAnswer> Run(IReadOnlyList<string> caseDirs, int processes = 2)
    {
        var answers = caseDirs.Select(d => Path.Combine(d, $"answer-{Name}.json")).ToList();
        var chunks = caseDirs.Zip(answers).Select((p, i) => (p, i)).GroupBy(x => x.i % Math.Max(1, processes), x => x.p).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<ReferenceException>();
        Parallel.ForEach(chunks, new ParallelOptions { MaxDegreeOfParallelism = processes }, chunk =>
        {
            try { RunProcess(chunk.ToList()); }
            catch (ReferenceException e) { failures.Add(e); }
        });
        if (!failures.IsEmpty) throw failures.First();
        return answers.Select(Read).ToList();
    }

    void RunProcess(IReadOnlyList<(string Case, string Answer)> pairs)
    {
        var args = new List<string> { Script };
        foreach (var (d, a) in pairs) { args.Add(d); args.Add(a); }
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo(Program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new ReferenceException($"the {Name} reference needs '{Program}', which was not found: {InstallHint}");
        }
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new ReferenceException($"the {Name} reference ({Program} {Path.GetFileName(Script)}) failed with exit code {process.ExitCode}: {stderr.Result.Trim()}" +
                (stderr.Result.Contains("No module named 'numpy'") || stderr.Result.Contains("Cannot find module") ? $" ({InstallHint})" : ""));
    }

    static ReferenceAnswer Read(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var r = doc.RootElement;
            var reference = r.GetProperty("reference").GetString()!;
            if (r.TryGetProperty("unsupported", out var why)) return new ReferenceAnswer(reference, why.GetString(), [], [], []);
            double[] Numbers(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
            double[][] Named(string key) => r.GetProperty(key).EnumerateArray().Select(w => Numbers(w.GetProperty("values"))).ToArray();
            return new ReferenceAnswer(reference, null, Numbers(r.GetProperty("losses")), Named("gradients"), Named("weights"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FileNotFoundException)
        {
            throw new ReferenceException($"{path}: not a valid answer ({e.Message})");
        }
    }
}

/// <summary>A reference could not be run or answered nonsense.</summary>
public sealed class ReferenceException(string message) : Exception(message);
