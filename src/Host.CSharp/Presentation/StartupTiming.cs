using System.Globalization;

namespace Lrbs.Host.Presentation;

/// <summary>What a user waits for before training starts (LRBS_TIMING=1): seconds since the
/// process started (the kernel's start time, /proc/self/stat field 22, against /proc/uptime) at
/// each named phase, printed to standard error as one line when training takes its first step.</summary>
public sealed class StartupTiming
{
    readonly List<(string Phase, double Seconds)> _marks = [];
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

    public void Mark(string phase) { if (Enabled) _marks.Add((phase, ProcessAge())); }

    public void Report(TextWriter error)
    {
        if (!Enabled || _marks.Count == 0) return;
        error.WriteLine("timing: " + string.Join(", ", _marks.Select(m => $"{m.Phase} {m.Seconds.ToString("0.00", CultureInfo.InvariantCulture)} s")) + " after the process started");
    }
}
