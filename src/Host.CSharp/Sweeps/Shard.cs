using Lrbs.Core.Planning;

namespace Lrbs.Host.Sweeps;

/// <summary>Shard K of N: the trials whose plan index i has i mod N = K (a searched trial: its id's
/// first 8 hex digits mod N) (K from 0, as Slurm's
/// $SLURM_ARRAY_TASK_ID and Kubernetes' $JOB_COMPLETION_INDEX count).</summary>
public sealed record Shard(int Index, int Count)
{
    public static readonly Shard All = new(0, 1);

    /// <summary>Whether this shard owns a trial: by plan index, or for a searched trial (whose plan
    /// grows round by round) by its id, a hex hash that no later round moves.</summary>
    public bool Owns(PlannedTrial t) =>
        (t.Searched ? (int)(Convert.ToUInt32(t.Id[..8], 16) % (uint)Count) : t.Index % Count) == Index;

    /// <summary>Parses "K/N"; the error says what is allowed.</summary>
    public static Shard Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out var k) && int.TryParse(parts[1], out var n) && n >= 1 && k >= 0 && k < n)
            return new Shard(k, n);
        throw new SweepFileException($"--shard '{text}': expected K/N with N >= 1 and 0 <= K < N (e.g. 0/4 .. 3/4)");
    }
}
