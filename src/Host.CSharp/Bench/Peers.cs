using System.Diagnostics;

namespace Lrbs.Host.Bench;

/// <summary>A training case every system runs: model, optimizer, learning rate, batch size.</summary>
public sealed record BenchCase(string Model, string Optimizer, double Lr, int BatchSize)
{
    public string Label => $"{Model switch { "mlp" => "S2 MLP", "bncnn" => "S5 CNN + BatchNorm", _ => "S7 box CNN" }} {Optimizer} b={BatchSize}";
}

/// <summary>A peer's answer: seconds per epoch, or why it did not run.</summary>
public sealed record PeerAnswer(double? SecondsPerEpoch, int Steps, string Version, string? Skipped);

/// <summary>Another framework running the same case (reference/bench/). A peer that is not
/// installed is a skipped row with the reason, never a failure.</summary>
public abstract class Peer
{
    public abstract string Name { get; }
    /// <summary>Null when the peer can run; otherwise why not (and how to install it).</summary>
    public abstract string? Unavailable();
    protected abstract (string Program, List<string> Args) Command(string dataDir, BenchCase c, int steps);

    /// <summary>The models this peer implements (reference/bench/): the S2 MLP and the S7 box CNN.</summary>
    public virtual IReadOnlySet<string> Models => new HashSet<string> { "mlp", "boxcnn" };

    public PeerAnswer Run(string dataDir, BenchCase c, int steps)
    {
        if (!Models.Contains(c.Model)) return new PeerAnswer(null, 0, "", $"{Name} implements {string.Join(" and ", Models)} only");
        var why = Unavailable();
        if (why is not null) return new PeerAnswer(null, 0, "", why);
        var (program, args) = Command(dataDir, c, steps);
        var (code, stdout, stderr) = Exec(program, args);
        if (code != 0) return new PeerAnswer(null, 0, "", $"{Name} failed (exit {code}): {stderr.Trim().Split('\n').LastOrDefault()}");
        using var doc = JsonDocument.Parse(stdout.Trim().Split('\n').Last());
        var r = doc.RootElement;
        if (r.TryGetProperty("unsupported", out var u)) return new PeerAnswer(null, 0, "", $"{Name}: {u.GetString()}");
        return new PeerAnswer(r.GetProperty("seconds_per_epoch").GetDouble(), r.GetProperty("steps").GetInt32(), r.GetProperty("version").GetString()!, null);
    }

    public static (int Code, string Stdout, string Stderr) Exec(string program, IEnumerable<string> args, string? workDir = null)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workDir ?? "" };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // one thread for every peer, as for lrbs
        foreach (var v in Trials.ThreadVariables) psi.Environment[v] = "1";
        try
        {
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, output, err.Result);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, "", $"cannot start {program}: {e.Message}"); }
    }

    public static string Root => Lrbs.Core.Data.Registry.repositoryRoot();
    protected static string Text(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>PyTorch eager in Python (Debian python3-torch, the same libtorch 1.13 as lrbs): the
/// given interpreter, else the first of python3 and /usr/bin/python3 that imports torch.</summary>
public sealed class PyTorchEager(string? python) : Peer
{
    string? _python = python;
    /// <summary>The python3 that imports torch (after Unavailable() found it), or null.</summary>
    public string? Python => _python;
    public override string Name => "pytorch";
    public override IReadOnlySet<string> Models => new HashSet<string> { "mlp", "boxcnn", "bncnn" };
    public override string? Unavailable()
    {
        _python ??= new[] { "python3", "/usr/bin/python3" }.FirstOrDefault(p => Exec(p, ["-c", "import torch, numpy"]).Code == 0);
        if (_python is null) return "no python3 on this machine imports torch: apt-get install python3-torch";
        return Exec(_python, ["-c", "import torch, numpy"]).Code == 0 ? null : $"{_python} cannot import torch: apt-get install python3-torch";
    }
    protected override (string, List<string>) Command(string dataDir, BenchCase c, int steps) =>
        (_python!, [Path.Combine(Root, "reference", "bench", "torch_eager.py"), dataDir, c.Model, c.Optimizer, Text(c.Lr), c.BatchSize.ToString(), steps.ToString()]);
}

/// <summary>The libtorch C++ frontend loop, compiled against Debian's libtorch by the bench
/// (build/bench/torch_loop, rebuilt when its source changes).</summary>
public sealed class LibtorchLoop : Peer
{
    string? _why;
    bool _built;
    static string Source => Path.Combine(Root, "reference", "bench", "torch_loop.cpp");
    static string Binary => Path.Combine(Root, "build", "bench", "torch_loop");
    public override string Name => "libtorch";

    public override string? Unavailable()
    {
        if (_built || _why is not null) return _why;
        if (!File.Exists("/usr/include/torch/csrc/api/include/torch/torch.h")) return _why = "libtorch's C++ headers are missing: apt-get install libtorch-dev";
        if (!File.Exists(Binary) || File.GetLastWriteTimeUtc(Binary) < File.GetLastWriteTimeUtc(Source))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Binary)!);
            var (code, _, err) = Exec("g++", ["-O2", "-std=c++17", Source, "-I/usr/include/torch/csrc/api/include", "-ltorch", "-ltorch_cpu", "-lc10", "-o", Binary]);
            if (code != 0) return _why = $"cannot build {Source}: {err.Trim().Split('\n').FirstOrDefault()}";
        }
        _built = true;
        return null;
    }

    protected override (string, List<string>) Command(string dataDir, BenchCase c, int steps) =>
        (Binary, [dataDir, c.Model, c.Optimizer, Text(c.Lr), c.BatchSize.ToString(), steps.ToString()]);
}

/// <summary>TensorFlow.js with its wasm backend in node.</summary>
public sealed class TfjsWasm(string node) : Peer
{
    public override string Name => "tfjs-wasm";
    public override string? Unavailable()
    {
        if (!Directory.Exists(Path.Combine(Root, "node_modules", "@tensorflow", "tfjs-backend-wasm"))) return "@tensorflow/tfjs-backend-wasm is not installed: run ./scripts/setup.sh";
        return Exec(node, ["--version"]).Code == 0 ? null : $"{node} is not installed: apt-get install nodejs";
    }
    protected override (string, List<string>) Command(string dataDir, BenchCase c, int steps) =>
        (node, [Path.Combine(Root, "reference", "bench", "tfjs_bench.js"), dataDir, c.Model, c.Optimizer, Text(c.Lr), c.BatchSize.ToString(), steps.ToString()]);
}
