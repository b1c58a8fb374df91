namespace Lrbs.Host.Storage;

/// <summary>OUT/branch-states/REFERENCE.sSTEP.ckpt: a reference run's state at a branch point
/// (step STEP, at an epoch's end or inside one), written durably by the reference run as it
/// passes the point, in the checkpoint format (<see cref="Checkpoint"/>), and read by each of its
/// branches as their start. A state that does not read (damaged, from another code version) is a
/// warning and is removed: its branches cannot run until the reference run is run again. A state
/// goes once every branch from it is committed.</summary>
public sealed class BranchStates(string outDir, string codeVersion)
{
    public static string DirIn(string outDir) => Path.Combine(outDir, "branch-states");

    public string PathOf(string referenceId, int step) => Path.Combine(DirIn(outDir), $"{referenceId}.s{step}.ckpt");

    /// <summary>Writes the states a pack of reference runs saved together at one step.</summary>
    public void Save(IReadOnlyList<MemberState> states)
    {
        try
        {
            Directory.CreateDirectory(DirIn(outDir));
            foreach (var s in states)
            {
                var final = PathOf(s.TrialId, s.Steps);
                var temp = Durable.TempPath(final);
                try
                {
                    File.WriteAllBytes(temp, Checkpoint.toBytes(codeVersion, s));
                    Durable.Publish(temp, final);
                }
                finally
                {
                    if (File.Exists(temp)) File.Delete(temp);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputException.For(DirIn(outDir), e);
        }
    }

    /// <summary>The reference run's state at `step`, or null where none is saved; one that does not
    /// read is named to `warn` and removed.</summary>
    public MemberState? Load(string referenceId, int step, Action<string> warn)
    {
        var path = PathOf(referenceId, step);
        if (!File.Exists(path)) return null;
        try { return Stored.Checkpoint(codeVersion, referenceId, File.ReadAllBytes(path)); }
        catch (FormatException e)
        {
            warn($"branch state {path} is not used: {e.Message}; its branches wait until reference run {referenceId} runs again (remove its part in trials/ to rerun it)");
            File.Delete(path);
            return null;
        }
    }

    public void Delete(string referenceId, int step) => File.Delete(PathOf(referenceId, step));
}
