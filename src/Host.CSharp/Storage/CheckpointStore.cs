namespace Lrbs.Host.Storage;

/// <summary>OUT/checkpoints/ID.eEPOCH.ckpt: the saved states of a trial still training
/// (<see cref="Checkpoint"/> holds the format), written durably every `every` epochs and removed
/// when the trial commits. A pack saves its members together; a trial's older file goes only once
/// every member has saved the newer epoch, so a kill between two members' saves still leaves an
/// epoch they all have, and the pack resumes from it bit for bit. A file that does not read
/// (truncated, damaged, from another code version or another trial) is a warning and is removed;
/// a trial left without a state starts again from epoch 0.</summary>
public sealed class CheckpointStore(string outDir, string codeVersion, int every = CheckpointStore.DefaultEvery)
{
    /// <summary>Every epoch: a save took 1.6% of an S2 MLP epoch and 0.2% of an S7 box CNN epoch
    /// (`lrbs bench --only checkpoints`; README, "Mid-trial checkpoints").</summary>
    public const int DefaultEvery = 1;

    public string Dir => DirIn(outDir);
    public int Every { get; } = every >= 1 ? every : throw new ArgumentOutOfRangeException(nameof(every), every, "the checkpoint interval is a whole number of epochs >= 1");

    public static string DirIn(string outDir) => Path.Combine(outDir, "checkpoints");
    static string PathIn(string outDir, string trialId, int epoch) => Path.Combine(DirIn(outDir), $"{trialId}.e{epoch}.ckpt");

    /// <summary>A trial's checkpoint files, newest epoch first.</summary>
    public static IReadOnlyList<(int Epoch, string Path)> FilesIn(string outDir, string trialId)
    {
        var dir = DirIn(outDir);
        if (!Directory.Exists(dir)) return [];
        return Directory.EnumerateFiles(dir, trialId + ".e*.ckpt")
            .Select(f => (Name: Path.GetFileName(f), Path: f))
            .Select(f => (Ok: int.TryParse(f.Name[(trialId.Length + 2)..^5], out var e), Epoch: e, f.Path))
            .Where(f => f.Ok).OrderByDescending(f => f.Epoch).Select(f => (f.Epoch, f.Path)).ToList();
    }

    /// <summary>Writes the states a pack saved together (temporary file, fsync, rename, each), then
    /// removes each trial's older files.</summary>
    public void Save(IReadOnlyList<MemberState> states)
    {
        string? temp = null;
        try
        {
            Directory.CreateDirectory(Dir);
            foreach (var s in states)
            {
                var final = PathIn(outDir, s.TrialId, s.Epoch);
                temp = Durable.TempPath(final);
                File.WriteAllBytes(temp, Checkpoint.toBytes(codeVersion, s));
                Durable.Publish(temp, final);
            }
            foreach (var s in states)
                foreach (var (epoch, path) in FilesIn(outDir, s.TrialId))
                    if (epoch < s.Epoch) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw OutputException.For(Dir, e);
        }
        finally
        {
            if (temp is not null && File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The states saved for a trial that read, newest first. One that does not read is
    /// named to `warn` and removed.</summary>
    public IReadOnlyList<MemberState> Load(string trialId, Action<string> warn)
    {
        var states = new List<MemberState>();
        foreach (var (_, path) in FilesIn(outDir, trialId))
        {
            byte[] bytes;
            try { bytes = File.ReadAllBytes(path); }
            catch (FileNotFoundException) { continue; } // its pack saved a newer epoch meanwhile
            try { states.Add(Stored.Checkpoint(codeVersion, trialId, bytes)); continue; }
            catch (FormatException e)
            {
                warn($"checkpoint {path} is not used: {e.Message}" + (states.Count == 0 ? $"; trial {trialId} starts again from epoch 0 unless an older checkpoint reads" : ""));
            }
            File.Delete(path);
        }
        return states;
    }

    /// <summary>Where each trial resumes: its newest state, except that trials that saved together
    /// in one pack resume from the newest epoch all of them have (a kill may fall between two
    /// members' saves), so that the pack goes on as one, bit for bit. Null: from the start.</summary>
    public static IReadOnlyDictionary<string, MemberState?> ResumePoints(IEnumerable<string> trialIds, Func<string, IReadOnlyList<MemberState>> saved)
    {
        var states = trialIds.Distinct().ToDictionary(id => id, saved);
        var points = new Dictionary<string, MemberState?>();
        foreach (var (id, list) in states)
        {
            if (list.Count == 0) { points[id] = null; continue; }
            // the newest epoch every member of its last pack that is still to run has saved
            var epoch = Stored.Pack(list[0]).Where(states.ContainsKey).Select(u => states[u].Count > 0 ? states[u][0].Epoch : 0).Append(list[0].Epoch).Min();
            points[id] = list.FirstOrDefault(s => s.Epoch == epoch) ?? list[0];
        }
        return points;
    }

    /// <summary>Removes a trial's checkpoints (it committed).</summary>
    public static void DeleteIn(string outDir, string trialId)
    {
        foreach (var (_, path) in FilesIn(outDir, trialId)) File.Delete(path);
        // and a save that a killed process left half-written (at the rerun's start it may still have been dying)
        var dir = DirIn(outDir);
        if (!Directory.Exists(dir)) return;
        foreach (var temp in Directory.EnumerateFiles(dir, $".tmp~*~{trialId}.e*.ckpt"))
            if (Durable.IsOrphan(temp)) File.Delete(temp);
    }
}
