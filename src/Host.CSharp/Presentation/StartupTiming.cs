namespace Lrbs.Host.Presentation;

/// <summary>What a user waits for before training starts (LRBS_TIMING=1): seconds since the
/// process started (the kernel's start time, /proc/self/stat field 22, against /proc/uptime) at
/// each named phase, with the process's peak resident memory so far (VmHWM), printed to standard
/// error as one line when training takes its first step.</summary>
public sealed class StartupTiming
{
    readonly List<(string Phase, double Seconds, double PeakGb)> _marks = [];
    public static bool Enabled => Environment.GetEnvironmentVariable("LRBS_TIMING") == "1";

    /// <summary>Seconds since this process started; NaN where /proc does not tell.</summary>
    public static double ProcessAge()
    {
        try
        {
            var ticks = Lrbs.Host.Storage.Durable.StartTicks(Environment.ProcessId);
            var uptime = double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], CultureInfo.InvariantCulture);
            return ticks is long t ? uptime - t / 100.0 : double.NaN; // USER_HZ is 100 on Linux
        }
        catch (Exception e) when (e is IOException or FormatException) { return double.NaN; }
    }

    /// <summary>The peak resident memory of this process so far, in GB (VmHWM); NaN where /proc does not tell.</summary>
    public static double PeakGb()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? double.NaN : long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1e6; // kB
        }
        catch (Exception e) when (e is IOException or FormatException) { return double.NaN; }
    }

    public void Mark(string phase) { if (Enabled) _marks.Add((phase, ProcessAge(), PeakGb())); }

    public void Report(TextWriter error)
    {
        if (!Enabled || _marks.Count == 0) return;
        error.WriteLine("timing: " + string.Join(", ", _marks.Select(m => $"{m.Phase} {m.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s (peak {m.PeakGb.ToString("0.00", CultureInfo.InvariantCulture)} GB)")) + " after the process started");
    }
}
