namespace Lrbs.Host.Report;

/// <summary>A slice of trials for the learning curves: KEY=VALUE pairs joined by commas, over
/// dataset, model, optimizer, schedule, batch_size, lr and seed. No slice: every trial.</summary>
public sealed class Slice
{
    static readonly string[] Keys = ["dataset", "model", "optimizer", "schedule", "batch_size", "lr", "seed"];
    readonly List<(string Key, string Value)> _terms;
    public string? Text { get; }

    Slice(string? text, List<(string, string)> terms) { Text = text; _terms = terms; }

    public bool Contains(TrialRow t) => _terms.All(term => term.Key switch
    {
        "dataset" => t.Dataset == term.Value,
        "model" => t.Model == term.Value,
        "optimizer" => t.Optimizer == term.Value,
        "schedule" => t.Schedule == term.Value,
        "batch_size" => t.BatchSize.ToString(CultureInfo.InvariantCulture) == term.Value,
        "lr" => double.TryParse(term.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var lr) && Math.Abs(t.Lr - lr) <= 1e-12 * lr,
        "seed" => t.Seed.ToString(CultureInfo.InvariantCulture) == term.Value,
        _ => false,
    });

    /// <summary>Parses the slice; an unknown key or a slice no trial is in is an error naming it.</summary>
    public static Slice Parse(string? text, IReadOnlyList<TrialRow> trials)
    {
        if (string.IsNullOrWhiteSpace(text)) return new Slice(null, []);
        var terms = new List<(string, string)>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2 || !Keys.Contains(kv[0].Trim()))
                throw new ReportException($"--slice '{part}': expected KEY=VALUE with KEY one of {string.Join(", ", Keys)}");
            terms.Add((kv[0].Trim(), kv[1].Trim()));
        }
        var slice = new Slice(text, terms);
        if (!trials.Any(slice.Contains)) throw new ReportException($"--slice '{text}' matches no trial of the results folder");
        return slice;
    }
}
