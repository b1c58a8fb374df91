using Lrbs.Core.Planning;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Lrbs.Host.Sweeps;

/// <summary>What `sweep run` was asked, to start workers with: the same options, and for a
/// suspect's own run, `--only ID --workers 1` without packing.</summary>
public sealed record RunArgs(string File, string? Shard, string? Out, int Workers, bool RetryFailed, bool Pack, int PackSize, string Lease, int CheckpointEvery)
{
    public IReadOnlyList<string> ToArgs(string? only = null)
    {
        var a = new List<string> { "sweep", "run", File, "--workers", (only is null ? Workers : 1).ToString(), "--pack-size", PackSize.ToString(), "--lease", Lease,
            "--checkpoint-every", CheckpointEvery.ToString() };
        if (Shard is not null) a.AddRange(["--shard", Shard]);
        if (Out is not null) a.AddRange(["--out", Out]);
        if (RetryFailed) a.Add("--retry-failed");
        if (Pack && only is null) a.Add("--pack");
        if (only is not null) a.AddRange(["--only", only]);
        return a;
    }
}

/// <summary>Keeps a native crash inside its trial. `lrbs sweep run` runs the sweep in a worker
/// process (the same program with LRBS_WORKER=1, its terminal inherited) and waits for it. When the
/// worker dies from a signal (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, or SIGKILL: the kernel's
/// out-of-memory killer), the trials it had claimed and not committed are the suspects: one is
/// committed `failed` naming the signal; of several, each runs alone in a worker of its own and
/// those that crash again are committed `failed` (the others were only beside it). Then the sweep
/// resumes in a new worker. SIGINT and SIGTERM sent to the supervisor are passed on to the worker,
/// and a worker dies with its supervisor (PR_SET_PDEATHSIG), so `kill -9` of either loses nothing
/// a rerun cannot redo.</summary>
public static class Supervisor
{
    [DllImport("libc", SetLastError = true)] static extern int kill(int pid, int sig);
    [DllImport("libc", SetLastError = true)] static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
    [DllImport("libc")] static extern int getppid();
    const int PR_SET_PDEATHSIG = 1, SIGKILL = 9;

    static readonly Dictionary<int, string> Crashes = new() { [4] = "SIGILL", [6] = "SIGABRT", [7] = "SIGBUS", [8] = "SIGFPE", [9] = "SIGKILL", [11] = "SIGSEGV" };

    public static bool IsWorker => Environment.GetEnvironmentVariable("LRBS_WORKER") == "1";

    /// <summary>Whether the user interrupted the sweep (SIGINT or SIGTERM passed on to the worker).</summary>
    public static bool Interrupted { get; private set; }

    /// <summary>Whether this process is the lrbs program itself (a test host calling the commands in
    /// process runs sweeps in process, as before).</summary>
    public static bool CanSupervise => !IsWorker && Assembly.GetEntryAssembly() == typeof(Supervisor).Assembly;

    [DllImport("libc", EntryPoint = "_exit")] static extern void ExitNow(int status);

    /// <summary>How long a worker has to leave after the SIGINT or SIGTERM passed on to it before it is killed.</summary>
    public static readonly TimeSpan LeaveWithin = TimeSpan.FromSeconds(10);

    /// <summary>The worker's SIGINT and SIGTERM handlers, kept alive for the process's life.</summary>
    static PosixSignalRegistration[] _leaveOnSignal = [];

    /// <summary>In a worker: die with the supervisor (and leave at once if it is already gone), and
    /// leave at once on SIGINT or SIGTERM. A normal exit runs the engine's static destructors while
    /// other threads are still inside it, which can hang (a fresh-clone CI run waited past 60 s
    /// after Ctrl-C) or crash; leaving with _exit is what SIGKILL does, and a sweep resumes from
    /// that (committed parts and checkpoints are written atomically; a test kills a packed sweep
    /// mid-trial and resumes it bit for bit).</summary>
    public static void BindToSupervisor()
    {
        if (!IsWorker) return;
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (int.TryParse(Environment.GetEnvironmentVariable("LRBS_SUPERVISOR_PID"), out var parent) && getppid() != parent) Environment.Exit(137);
        _leaveOnSignal =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => ExitNow(128 + 2)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => ExitNow(128 + 15)),
        ];
    }

    /// <summary>Supervises the sweep to its end; returns the last worker's exit code.
    /// `find` gives the planned trial of an id (the plan as committed now), `commitFailed` commits one.</summary>
    public static int Run(RunArgs args, ResultsStore store, Func<string, PlannedTrial?> find, Action<PlannedTrial, string> commitFailed, TextWriter error)
    {
        while (true)
        {
            var (code, pid) = Start(args.ToArgs());
            if (Interrupted || !Crashed(code, out var signal)) return code;
            var suspects = Suspects(store, pid).Select(find).OfType<PlannedTrial>().ToList();
            if (suspects.Count == 0)
            {
                error.WriteLine($"error: the sweep's worker process died from {signal} before it held any trial; nothing was marked failed");
                return code;
            }
            error.WriteLine($"warning: the sweep's worker process died from {signal} while training {string.Join(", ", suspects.Select(t => t.Id))}");
            foreach (var t in suspects)
            {
                var (crash, name) = (code, signal);
                if (suspects.Count > 1)
                {
                    error.WriteLine($"  running {t.Id} alone to tell which crashed");
                    (crash, _) = Start(args.ToArgs(only: t.Id));
                    if (!Crashed(crash, out name)) continue; // it was only beside the crash
                }
                var why = $"the worker process died from {name} (signal {crash - 128}) while this trial trained" + (suspects.Count > 1 ? ", and again when it ran alone" : "");
                commitFailed(t, why);
                error.WriteLine($"{t.Id} failed: {why}");
            }
        }
    }

    static bool Crashed(int code, out string signal)
    {
        signal = Crashes.GetValueOrDefault(code - 128, "");
        return signal.Length > 0;
    }

    /// <summary>The trials a dead worker held claims on and did not commit.</summary>
    static IEnumerable<string> Suspects(ResultsStore store, int pid)
    {
        var dir = Path.Combine(store.OutDir, "claims");
        if (!Directory.Exists(dir)) yield break;
        foreach (var f in Directory.GetFiles(dir, "*.claim").Order(StringComparer.Ordinal))
        {
            ProcessIdentity? owner;
            try { owner = ProcessIdentity.ParseLine(File.ReadAllText(f)); }
            catch (IOException) { continue; }
            var id = Path.GetFileNameWithoutExtension(f);
            if (owner is not null && owner.Host == ProcessIdentity.Current.Host && owner.Pid == pid && !File.Exists(store.TrialPath(id))) yield return id;
        }
    }

    /// <summary>Starts a worker with these arguments, its standard streams inherited; SIGINT and
    /// SIGTERM sent to this process go on to it. Returns its exit code (128 + N when signal N
    /// killed it) and its pid.</summary>
    static (int Code, int Pid) Start(IReadOnlyList<string> arguments)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        var entry = Assembly.GetEntryAssembly()!.Location;
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(entry);
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.Environment["LRBS_WORKER"] = "1";
        psi.Environment["LRBS_SUPERVISOR_PID"] = Environment.ProcessId.ToString();
        using var worker = Process.Start(psi)!;
        if (Lrbs.Host.Presentation.StartupTiming.Enabled)
            Console.Error.WriteLine($"timing: the supervisor started worker {worker.Id} {Lrbs.Host.Presentation.StartupTiming.ProcessAge():0.00} s after it started");
        var workerId = worker.Id;
        var exited = false;
        void Forward(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            Interrupted = true;
            kill(workerId, (int)(ctx.Signal == PosixSignal.SIGINT ? 2 : 15));
            // The worker leaves at once on the signal (BindToSupervisor). Should it not within
            // LeaveWithin (a fresh-clone CI run under load waited past 60 s once), it is killed:
            // what it committed and its checkpoints are written atomically, so a rerun resumes.
            new Thread(() =>
            {
                Thread.Sleep(LeaveWithin);
                if (!Volatile.Read(ref exited)) kill(workerId, 9);
            })
            { IsBackground = true }.Start();
        }
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        worker.WaitForExit();
        Volatile.Write(ref exited, true);
        return (worker.ExitCode, workerId);
    }
}
