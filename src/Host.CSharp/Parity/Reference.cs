namespace Lrbs.Host.Parity;

/// <summary>A reference implementation that answers parity cases (reference/CASES.md):
/// TensorFlow.js as a node subprocess (<see cref="ReferenceBridge"/>) or the Python float64
/// oracle in process (<see cref="PythonReference"/>).</summary>
public interface IReference
{
    /// <summary>The name in messages and in the table's file name: "tfjs" or "python".</summary>
    string Name { get; }

    /// <summary>Answers the case folders; one answer per folder, in order.</summary>
    IReadOnlyList<ReferenceAnswer> Run(IReadOnlyList<string> caseDirs, int workers = 2);
}

/// <summary>A reference's answer to one case (reference/CASES.md).</summary>
public sealed record ReferenceAnswer(string Reference, string? Unsupported, double[] Losses, double[][] Gradients, double[][] Weights)
{
    /// <summary>Reads an answer in the ANSWER.json format; both references' answers go through
    /// here so the format is read in one place. `source` names the answer in errors.</summary>
    public static ReferenceAnswer Parse(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            var reference = r.GetProperty("reference").GetString()!;
            if (r.TryGetProperty("unsupported", out var why)) return new ReferenceAnswer(reference, why.GetString(), [], [], []);
            double[] Numbers(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
            double[][] Named(string key) => r.GetProperty(key).EnumerateArray().Select(w => Numbers(w.GetProperty("values"))).ToArray();
            return new ReferenceAnswer(reference, null, Numbers(r.GetProperty("losses")), Named("gradients"), Named("weights"));
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ReferenceException($"{source}: not a valid answer ({e.Message})");
        }
    }
}

/// <summary>A reference could not be run or answered nonsense. `MissingDependency`: the machine
/// lacks something ./scripts/setup.sh installs (node, libpython, numpy); the CLI exits 3 then.</summary>
public sealed class ReferenceException(string message, bool missingDependency = false) : Exception(message)
{
    public bool MissingDependency { get; } = missingDependency;
}
