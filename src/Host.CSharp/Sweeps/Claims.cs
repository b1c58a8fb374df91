using System.Collections.Concurrent;

namespace Lrbs.Host.Sweeps;

/// <summary>Who is training a trial: OUT/claims/ID.claim, created atomically with its content (link(2))
/// before the trial trains and removed when its part is committed, so several runners on one
/// folder (two terminals, a job array that forgot --shard, shards beside a plain run) train each
/// trial once. The file names the host, the process and its start time; its modification time is
/// a heartbeat the owner refreshes every lease/4 (at most every 30 s). A claim is stale, and
/// another runner takes it over, when its heartbeat is older than the lease, or, on the owner's
/// own host, as soon as the owner process is gone. A claim from another host is never taken over
/// before the lease: the lease must outlast clock skew and a stalled file system between hosts
/// (default 10 minutes).</summary>
public sealed class Claims : IDisposable
{
    public static readonly TimeSpan DefaultLease = TimeSpan.FromMinutes(10);

    readonly string _dir;
    readonly TimeSpan _lease;
    readonly ConcurrentDictionary<string, string> _held = new();
    readonly Timer _heartbeat;

    public Claims(string outDir, TimeSpan lease)
    {
        if (lease <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(lease), "a lease must be a positive duration");
        _dir = Path.Combine(outDir, "claims");
        _lease = lease;
        var beat = TimeSpan.FromTicks(Math.Min(lease.Ticks / 4, TimeSpan.FromSeconds(30).Ticks));
        _heartbeat = new Timer(_ => Beat(), null, beat, beat);
    }

    public string PathOf(string id) => Path.Combine(_dir, id + ".claim");

    /// <summary>Claims a trial for this process: true if it is ours now (made, or taken over from
    /// a stale claim), false while another live runner holds it.</summary>
    public bool TryClaim(string id)
    {
        Directory.CreateDirectory(_dir);
        var path = PathOf(id);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (TryCreate(path)) { _held[id] = path; return true; }
            if (!IsStale(path)) return false;
            // take the stale claim away by renaming it: of several runners that saw it stale, one rename wins
            var aside = path + $".stale~{Guid.NewGuid():N}";
            try { File.Move(path, aside); File.Delete(aside); }
            catch (FileNotFoundException) { }
        }
        return false;
    }

    /// <summary>Who holds a claim, as its file says (host pid start-ticks), or null.</summary>
    public string? Holder(string id)
    {
        try { return File.ReadAllText(PathOf(id)).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Gives a claim up (its trial committed, or not trained after all).</summary>
    public void Release(string id)
    {
        if (_held.TryRemove(id, out var path)) File.Delete(path);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int link([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string oldPath,
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string newPath);
    const int EEXIST = 17;

    /// <summary>Creates the claim with its owner line in one step: the line goes to a temporary file
    /// first, which link(2) then puts at the claim's name unless that exists. (Created empty and then
    /// written, a claim whose runner was killed in between named no owner, so no runner could tell
    /// it was dead, and the trial waited out the whole lease.)</summary>
    static bool TryCreate(string path)
    {
        var temp = Durable.TempPath(path);
        try
        {
            File.WriteAllText(temp, ProcessIdentity.Current.Line + "\n");
            if (link(temp, path) == 0) return true;
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == EEXIST) return false;
            throw new IOException($"cannot create claim {path} (errno {errno})");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    bool IsStale(string path)
    {
        DateTime beat;
        ProcessIdentity? owner;
        try
        {
            beat = File.GetLastWriteTimeUtc(path);
            owner = ProcessIdentity.ParseLine(File.ReadAllText(path));
        }
        catch (FileNotFoundException) { return true; } // released meanwhile: try again
        if (DateTime.UtcNow - beat > _lease) return true;
        // on this host a dead owner is known at once; another host's owner only by its heartbeat
        return owner is { IsGone: true };
    }

    void Beat()
    {
        foreach (var path in _held.Values)
            try { File.SetLastWriteTimeUtc(path, DateTime.UtcNow); }
            catch (IOException) { } // a lost claim shows as a stale one to the others; the trial's commit still decides
    }

    /// <summary>A lease as `--lease` reads it: whole hours, minutes or seconds ("10m" for DefaultLease).</summary>
    public static string LeaseText(TimeSpan lease) =>
        lease.TotalSeconds % 3600 == 0 ? $"{lease.TotalHours:0}h" : lease.TotalSeconds % 60 == 0 ? $"{lease.TotalMinutes:0}m" : $"{lease.TotalSeconds:0.###}s";

    /// <summary>Parses a lease: a positive number of seconds, or with a unit s, m or h ("90s", "10m").</summary>
    public static TimeSpan ParseLease(string text)
    {
        var t = text.Trim();
        var (number, unit) = t.Length > 0 && char.IsLetter(t[^1]) ? (t[..^1], t[^1]) : (t, 's');
        if (double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0 && double.IsFinite(v))
        {
            var seconds = unit switch { 's' => v, 'm' => v * 60, 'h' => v * 3600, _ => double.NaN };
            if (double.IsFinite(seconds)) return TimeSpan.FromSeconds(seconds);
        }
        throw new Cli.InputException($"--lease: expected a positive duration such as 90s, 10m or 1h, got '{text}'");
    }

    public void Dispose()
    {
        _heartbeat.Dispose();
        foreach (var id in _held.Keys.ToList()) Release(id);
    }
}
