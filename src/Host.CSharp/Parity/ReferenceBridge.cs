using System.Diagnostics;

namespace Lrbs.Host.Parity;

/// <summary>A reference implementation run as a subprocess: TensorFlow.js in node. One process
/// answers many cases. (The Python reference runs in process: <see cref="PythonReference"/>.)</summary>
public sealed record ReferenceBridge(string Name, string Program, string Script, string InstallHint) : IReference
{
    public static ReferenceBridge Tfjs(string root) =>
        new("tfjs", Environment.GetEnvironmentVariable("LRBS_NODE") ?? "node", Path.Combine(root, "reference", "tfjs", "run-case.js"),
            "install Node.js (apt-get install nodejs npm) and run ./scripts/setup.sh for the pinned @tensorflow/tfjs-* packages");

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
            throw new ReferenceException($"the {Name} reference needs '{Program}', which was not found: {InstallHint}", missingDependency: true);
        }
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new ReferenceException($"the {Name} reference ({Program} {Path.GetFileName(Script)}) failed with exit code {process.ExitCode}: {stderr.Result.Trim()}" +
                (stderr.Result.Contains("Cannot find module") ? $" ({InstallHint})" : ""));
    }

    static ReferenceAnswer Read(string path)
    {
        try { return ReferenceAnswer.Parse(File.ReadAllText(path), path); }
        catch (FileNotFoundException e) { throw new ReferenceException($"{path}: not a valid answer ({e.Message})"); }
    }
}
