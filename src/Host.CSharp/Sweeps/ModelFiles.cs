using Lrbs.Core.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lrbs.Host.Sweeps;

/// <summary>A bad model file or inline model: the file, the line and the layer, and what is allowed.</summary>
public sealed class ModelFileException(string message) : Exception(message);

/// <summary>Declared models (Keras-Sequential lists of layers) from YAML: a model file
/// (`train --model FILE`, a sweep's `model: FILE`) or a sweep's inline `model:` mapping. YAML
/// becomes the core's tree (ModelFile.Node); the core checks every key and writes the canonical
/// JSON a trial configuration carries.</summary>
public static class ModelFiles
{
    /// <summary>Whether a `model` value names a file rather than a catalog model.</summary>
    public static bool IsFile(string value) =>
        value.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || value.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    /// <summary>The canonical JSON of the model in a YAML file.</summary>
    public static string Load(string path)
    {
        if (!File.Exists(path)) throw new ModelFileException($"{path}: model file not found");
        var stream = new YamlStream();
        try { stream.Load(new StringReader(File.ReadAllText(path))); }
        catch (YamlException e) { throw new ModelFileException(YamlErrors.Malformed(path, e)); }
        if (stream.Documents.Count == 0) throw new ModelFileException($"{path}: empty model file: give name and layers");
        var root = stream.Documents[0].RootNode;
        // a file may hold the model itself or a `model:` mapping around it
        if (root is YamlMappingNode m && m.Children.Count == 1 && m.Children.Keys.Single() is YamlScalarNode { Value: "model" })
            root = m.Children.Values.Single();
        return Json(root, path);
    }

    /// <summary>The canonical JSON of an inline model; `file` names the file for errors (each at its line and column).</summary>
    public static string Json(YamlNode node, string file)
    {
        try { return ModelText.Json(file, Tree(node)); }
        catch (ModelFileProblems e) { throw new ModelFileException(e.Message); }
    }

    /// <summary>A `model` value as a trial key: a catalog name as it is, a file's model as its JSON.
    /// A relative path is read from the working directory, as every path in a sweep file and on
    /// the command line (README, "Sweep files"); `where` names the key that gave it.</summary>
    public static string Resolve(string value, string where)
    {
        if (!IsFile(value)) return value;
        if (!File.Exists(value))
            throw new ModelFileException($"{where}: model file not found: {value} (relative paths are read from the working directory, {Directory.GetCurrentDirectory()})");
        return Load(value);
    }

    static ModelFile.Pos At(YamlNode n) => new(checked((int)n.Start.Line), checked((int)n.Start.Column));

    static ModelFile.Node Tree(YamlNode node) => node switch
    {
        YamlScalarNode s when string.IsNullOrEmpty(s.Value) && s.Style == YamlDotNet.Core.ScalarStyle.Plain => ModelFile.Node.NewEmpty(At(s)),
        YamlScalarNode s => ModelFile.Node.NewScalar(s.Value ?? "", At(s)),
        YamlSequenceNode q => ModelText.Items(q.Children.Select(Tree), At(q)),
        YamlMappingNode m => ModelText.Fields(m.Children.Select(kv => ModelText.Field(((YamlScalarNode)kv.Key).Value ?? "", At(kv.Key), Tree(kv.Value))), At(m)),
        _ => ModelFile.Node.NewEmpty(At(node)),
    };
}
