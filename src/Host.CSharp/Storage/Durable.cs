using System.Runtime.InteropServices;

namespace Lrbs.Host.Storage;

/// <summary>A process as other processes can recognise it: its host (letters and digits, the rest
/// as '_'), its id and its start time in clock ticks since boot (Durable.StartTicks). Temporary
/// file names and sweep claims carry it, written and read only here.</summary>
public sealed record ProcessIdentity(string Host, int Pid, long Started)
{
    /// <summary>This process.</summary>
    public static readonly ProcessIdentity Current = new(Durable.Sanitize(Environment.MachineName), Environment.ProcessId,
        Durable.StartTicks(Environment.ProcessId) ?? 0);

    /// <summary>Known to be gone (Durable.IsGone): on this host, and no longer running.</summary>
    public bool IsGone => Durable.IsGone(Host, Pid, Started);

    /// <summary>The claim file's line: "HOST PID START".</summary>
    public string Line => $"{Host} {Pid} {Started}";

    /// <summary>A claim file's line read back, or null where it is not one.</summary>
    public static ProcessIdentity? ParseLine(string line) =>
        line.Trim().Split(' ') is [var host, var pid, var started] && int.TryParse(pid, out var p) && long.TryParse(started, out var s)
            ? new ProcessIdentity(host, p, s) : null;

    /// <summary>The fields of a temporary name: "HOST~PID~START".</summary>
    public string TempFields => $"{Host}~{Pid}~{Started}";

    /// <summary>A temporary name's fields read back (.tmp~HOST~PID~START~GUID~NAME), or null.</summary>
    public static ProcessIdentity? ParseTempName(string fileName) =>
        fileName.Split('~') is [".tmp", var host, var pid, var started, _, _, ..] && int.TryParse(pid, out var p) && long.TryParse(started, out var s)
            ? new ProcessIdentity(host, p, s) : null;
}

/// <summary>Files that survive a machine crash: data reaches the disk (fsync) before the rename
/// that publishes it, and the folder's entry after. Temporary names carry the host, the process
/// id and its start time, so that an orphan of a dead process on this host can be told from a
/// live writer (here or on another host sharing the folder), which is never touched.</summary>
public static class Durable
{
    [DllImport("libc", SetLastError = true)] static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
    [DllImport("libc", SetLastError = true)] static extern int fsync(int fd);
    [DllImport("libc")] static extern int close(int fd);
    const int ORdOnly = 0, ODirectory = 0x10000;


    /// <summary>When process `pid` started, in clock ticks since boot: field 22 of /proc/PID/stat,
    /// which the kernel fixes at fork, so every process reads the same number for it (.NET's
    /// Process.StartTime derives a time from an estimate of the boot time made afresh in each
    /// process, and two processes need not agree: a shard then took a live writer's file for an
    /// orphan). Null when there is no such process.</summary>
    public static long? StartTicks(int pid) => Stat(pid)?.Ticks;

    /// <summary>Process `pid`'s state letter (field 3 of /proc/PID/stat) and start ticks, or null.</summary>
    static (char State, long Ticks)? Stat(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so count fields after the last ')'
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && fields[0].Length == 1 && long.TryParse(fields[19], out var ticks) ? (fields[0][0], ticks) : null;
    }

    internal static string Sanitize(string s) => new(s.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());

    /// <summary>A temporary name beside `finalPath`: .tmp~HOST~PID~START~GUID~NAME.</summary>
    public static string TempPath(string finalPath) =>
        Path.Combine(Path.GetDirectoryName(finalPath)!, $".tmp~{ProcessIdentity.Current.TempFields}~{Guid.NewGuid():N}~{Path.GetFileName(finalPath)}");

    public static bool IsTemp(string path) => Path.GetFileName(path).StartsWith(".tmp~", StringComparison.Ordinal);

    /// <summary>Flushes a written file to the disk.</summary>
    public static void SyncFile(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Flush(flushToDisk: true);
    }

    /// <summary>Flushes a folder's entries (a rename inside it) to the disk.</summary>
    public static void SyncFolder(string dir)
    {
        var fd = open(dir, ORdOnly | ODirectory);
        if (fd < 0) throw new IOException($"cannot open folder {dir} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (fsync(fd) != 0) throw new IOException($"cannot sync folder {dir} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally { close(fd); }
    }

    /// <summary>Publishes a finished temporary file: fsync it, rename it over `finalPath`, fsync the folder.</summary>
    public static void Publish(string temp, string finalPath)
    {
        SyncFile(temp);
        File.Move(temp, finalPath, overwrite: true); // rename(2): readers see the old file or the whole new one
        SyncFolder(Path.GetDirectoryName(Path.GetFullPath(finalPath))!);
    }

    /// <summary>Whether a temporary file was left by a process of this host that no longer runs.</summary>
    public static bool IsOrphan(string tempPath)
    {
        return ProcessIdentity.ParseTempName(Path.GetFileName(tempPath)) is { IsGone: true };
    }

    /// <summary>Whether the process (host, pid, start ticks) is known to be gone: it ran on this
    /// host, and no process with that pid and start time runs now (none, the pid was reused, or it
    /// has exited and waits to be reaped: a zombie, as a worker killed with its supervisor stays
    /// where nothing reaps orphans). Another host's process is never known to be gone. Temporary
    /// files and sweep claims both ask.</summary>
    public static bool IsGone(string host, int pid, long started)
    {
        var me = ProcessIdentity.Current;
        if (Sanitize(host) != me.Host || (pid == me.Pid && started == me.Started)) return false;
        if (Stat(pid) is not { } stat) return true;
        return stat.Ticks != started || stat.State is 'Z' or 'X';
    }

    /// <summary>Removes this host's orphaned temporary files under `dir`; returns their paths.</summary>
    public static IReadOnlyList<string> RemoveOrphans(string dir)
    {
        if (!Directory.Exists(dir)) return [];
        var removed = new List<string>();
        foreach (var f in Directory.EnumerateFiles(dir, ".tmp~*", SearchOption.AllDirectories))
            if (IsOrphan(f))
            {
                File.Delete(f);
                removed.Add(f);
            }
        return removed;
    }
}
