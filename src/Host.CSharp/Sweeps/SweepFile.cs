using System.Globalization;
using Lrbs.Core.Data;
using Lrbs.Core.Optimizers;
using Lrbs.Core.Schedules;
using Lrbs.Core.Training;
using Microsoft.FSharp.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lrbs.Host.Sweeps;

/// <summary>A bad sweep file: the file, the line and the key path, and what is allowed.</summary>
public sealed class SweepFileException(string message) : Exception(message);

/// <summary>One planned trial of a sweep: its stable id and configuration.</summary>
public sealed record PlannedTrial(int Index, string Id, TrialConfig Config);

/// <summary>A parsed sweep: its name, output folder and the trials it expands to, in plan order.</summary>
public sealed record Sweep(string Name, string Out, IReadOnlyList<PlannedTrial> Trials);

/// <summary>Reads a YAML sweep file (see README "Sweep files") and expands it into trials.</summary>
public static class SweepFile
{
    /// <summary>Trial fields that may stand at the top level (one value) or under grid (a list).</summary>
    public static readonly string[] TrialKeys = ["dataset", "data_dir", "model", "optimizer", "lr", "batch_size", "seed", "split", "schedule", "train_limit", "max_epochs", "stop_when_stable", "early_stopping_patience"];
    static readonly string[] TopKeys = [.. TrialKeys, "name", "grid", "repeats", "stopping", "out"];
    static readonly string[] StoppingKeys = ["max_epochs", "stabilisation", "early_stopping"];

    public static Sweep Load(string path)
    {
        if (!File.Exists(path)) throw new SweepFileException($"{path}: sweep file not found");
        var stream = new YamlStream();
        try { stream.Load(new StringReader(File.ReadAllText(path))); }
        catch (YamlException e) { throw new SweepFileException($"{path}:{e.Start.Line}: malformed YAML: {e.InnerException?.Message ?? e.Message}"); }
        catch (InvalidOperationException e) { throw new SweepFileException($"{path}: malformed YAML (the parser stopped: {e.Message})"); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new SweepFileException($"{path}: a sweep file is a YAML mapping of keys ({string.Join(", ", TopKeys)})");
        return Parse(path, root);
    }

    static Sweep Parse(string path, YamlMappingNode root)
    {
        string Where(YamlNode n, string key) => $"{path}:{n.Start.Line}: {key}";
        var settings = new Dictionary<string, YamlScalarNode>();
        var grid = new List<(string Key, List<YamlScalarNode> Values)>();
        string? name = null, outDir = null;
        int repeats = 1;
        var stopping = Stopping.Epochs(5);

        foreach (var (keyNode, value) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            if (!TopKeys.Contains(key)) throw new SweepFileException($"{Where(keyNode, key)}: unknown key{Suggest(key, TopKeys)}; allowed: {string.Join(", ", TopKeys)}");
            switch (key)
            {
                case "name": name = Scalar(value, Where(value, key)).Value; break;
                case "out": outDir = Scalar(value, Where(value, key)).Value; break;
                case "repeats": repeats = Int(Scalar(value, Where(value, key)), Where(value, key), min: 1); break;
                case "stopping": stopping = ParseStopping(value, p => Where(p.Node, "stopping." + p.Key)); break;
                case "grid":
                    if (value is not YamlMappingNode g) throw new SweepFileException($"{Where(value, key)}: expected a mapping of trial keys to lists");
                    foreach (var (gk, gv) in g.Children)
                    {
                        var gkey = ((YamlScalarNode)gk).Value ?? "";
                        if (!TrialKeys.Contains(gkey)) throw new SweepFileException($"{Where(gk, "grid." + gkey)}: unknown key{Suggest(gkey, TrialKeys)}; allowed: {string.Join(", ", TrialKeys)}");
                        var list = gv is YamlSequenceNode seq ? seq.Children.Select(c => Scalar(c, Where(c, "grid." + gkey))).ToList() : [Scalar(gv, Where(gv, "grid." + gkey))];
                        if (list.Count == 0) throw new SweepFileException($"{Where(gv, "grid." + gkey)}: empty list; give at least one value");
                        grid.Add((gkey, list));
                    }
                    break;
                default: settings[key] = Scalar(value, Where(value, key)); break;
            }
        }
        if (name is null) throw new SweepFileException($"{path}: missing key 'name'");
        outDir ??= Path.Combine("results", name);
        if (grid.Count == 0 && settings.Count == 0) throw new SweepFileException($"{path}: empty sweep: give trial keys ({string.Join(", ", TrialKeys)}) at the top or under grid");

        var trials = new List<PlannedTrial>();
        var seen = new HashSet<string>();
        foreach (var combo in Cartesian(grid))
        {
            var values = new Dictionary<string, YamlScalarNode>(settings);
            foreach (var (k, v) in combo) values[k] = v;
            for (var r = 0; r < repeats; r++)
            {
                var config = Build(values, stopping, r, (n, k) => Where(n, k));
                var id = TrialConfigModule.id(config);
                if (seen.Add(id)) trials.Add(new PlannedTrial(trials.Count, id, config));
            }
        }
        return new Sweep(name, outDir, trials);
    }

    static IEnumerable<List<(string, YamlScalarNode)>> Cartesian(List<(string Key, List<YamlScalarNode> Values)> grid)
    {
        IEnumerable<List<(string, YamlScalarNode)>> acc = [[]];
        foreach (var (key, values) in grid)
            acc = acc.SelectMany(prefix => values.Select(v => new List<(string, YamlScalarNode)>(prefix) { (key, v) }));
        return acc;
    }

    static TrialConfig Build(Dictionary<string, YamlScalarNode> v, Stopping stopping, int repeat, Func<YamlNode, string, string> where)
    {
        string Need(string key) => v.TryGetValue(key, out var n) ? n.Value ?? "" : throw new SweepFileException($"missing trial key '{key}' (give it at the top level or under grid)");
        string? Opt(string key) => v.TryGetValue(key, out var n) ? n.Value : null;
        T Check<T>(string key, FSharpResult<T, string> r) => r.IsOk ? r.ResultValue : throw new SweepFileException($"{where(v[key], key)}: {r.ErrorValue}");

        var dataset = Need("dataset");
        var optimizerName = Opt("optimizer") ?? "sgd";
        var config = new TrialConfig(
            dataset,
            Opt("data_dir") is string d ? FSharpOption<string>.Some(d) : null,
            Opt("model") ?? "mlp-100-50",
            optimizerName,
            v.ContainsKey("optimizer") ? Check("optimizer", OptimizerSpecModule.ofName(optimizerName)) : OptimizerSpec.NewSgd(SgdConfig.Default),
            v.TryGetValue("lr", out var lr) ? Double(lr, where(lr, "lr")) : 0.01,
            v.TryGetValue("batch_size", out var b) ? Int(b, where(b, "batch_size"), min: 1) : 32,
            v.ContainsKey("schedule") ? Check("schedule", ScheduleModule.parse(v["schedule"].Value ?? "")) : Schedule.Constant,
            StoppingFor(v, stopping, where),
            v.ContainsKey("split") ? Check("split", SplitModule.parse(v["split"].Value ?? "")) : Registry.defaultSplit(dataset),
            (v.TryGetValue("seed", out var s) ? Int(s, where(s, "seed"), min: 0) : 1) + repeat,
            v.TryGetValue("train_limit", out var t) ? FSharpOption<int>.Some(Int(t, where(t, "train_limit"), min: 1)) : null);
        var valid = TrialConfigModule.validate(config);
        if (valid.IsError)
        {
            var e = valid.ErrorValue.Head;
            var node = v.TryGetValue(e.Field, out var n) ? n : null;
            throw new SweepFileException(node is null ? $"{e.Field}: {e.Message}" : $"{where(node, e.Field)}: {e.Message}");
        }
        return config;
    }

    /// <summary>The stopping block, overridden by the trial keys max_epochs, stop_when_stable
    /// (the studies' rule: loss change &lt; 1e-2 for 10 epochs) and early_stopping_patience, so
    /// that the stopping rule can vary in the grid.</summary>
    static Stopping StoppingFor(Dictionary<string, YamlScalarNode> v, Stopping s, Func<YamlNode, string, string> where)
    {
        if (v.TryGetValue("max_epochs", out var m)) s = new Stopping(Int(m, where(m, "max_epochs"), min: 1), s.Stabilisation, s.EarlyStopping);
        if (v.TryGetValue("stop_when_stable", out var st))
        {
            var on = st.Value switch { "true" => true, "false" => false, _ => throw new SweepFileException($"{where(st, "stop_when_stable")}: expected true or false, got '{st.Value}'") };
            s = new Stopping(s.MaxEpochs, on ? FSharpOption<Tuple<double, int>>.Some(Tuple.Create(1e-2, 10)) : FSharpOption<Tuple<double, int>>.None, s.EarlyStopping);
        }
        if (v.TryGetValue("early_stopping_patience", out var p))
            s = new Stopping(s.MaxEpochs, s.Stabilisation, Tuple.Create(Int(p, where(p, "early_stopping_patience"), min: 1), 0.0));
        return s;
    }

    static Stopping ParseStopping(YamlNode node, Func<(YamlNode Node, string Key), string> where)
    {
        if (node is not YamlMappingNode m) throw new SweepFileException($"{where((node, ""))}: expected a mapping ({string.Join(", ", StoppingKeys)})");
        int maxEpochs = 5;
        FSharpOption<Tuple<double, int>>? stable = null;
        FSharpOption<Tuple<int, double>>? early = null;
        foreach (var (k, v) in m.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? "";
            switch (key)
            {
                case "max_epochs": maxEpochs = Int(Scalar(v, where((v, key))), where((v, key)), min: 1); break;
                case "stabilisation":
                    var sm = Mapping(v, where((v, key)), ["delta", "patience"]);
                    stable = Tuple.Create(Double(sm["delta"], where((sm["delta"], key + ".delta"))), Int(sm["patience"], where((sm["patience"], key + ".patience")), min: 1));
                    break;
                case "early_stopping":
                    var em = Mapping(v, where((v, key)), ["patience", "min_delta"]);
                    early = Tuple.Create(Int(em["patience"], where((em["patience"], key + ".patience")), min: 1),
                        em.TryGetValue("min_delta", out var md) ? Double(md, where((md, key + ".min_delta"))) : 0.0);
                    break;
                default: throw new SweepFileException($"{where((k, key))}: unknown key{Suggest(key, StoppingKeys)}; allowed: {string.Join(", ", StoppingKeys)}");
            }
        }
        return new Stopping(maxEpochs, stable, early);
    }

    static Dictionary<string, YamlScalarNode> Mapping(YamlNode node, string where, string[] allowed)
    {
        if (node is not YamlMappingNode m) throw new SweepFileException($"{where}: expected a mapping ({string.Join(", ", allowed)})");
        var result = new Dictionary<string, YamlScalarNode>();
        foreach (var (k, v) in m.Children)
        {
            var key = ((YamlScalarNode)k).Value ?? "";
            if (!allowed.Contains(key)) throw new SweepFileException($"{where}.{key}: unknown key{Suggest(key, allowed)}; allowed: {string.Join(", ", allowed)}");
            result[key] = Scalar(v, $"{where}.{key}");
        }
        if (!result.ContainsKey(allowed[0])) throw new SweepFileException($"{where}: missing '{allowed[0]}'");
        return result;
    }

    static YamlScalarNode Scalar(YamlNode node, string where) =>
        node as YamlScalarNode ?? throw new SweepFileException($"{where}: expected a single value, got a {(node is YamlSequenceNode ? "list" : "mapping")}");

    static int Int(YamlScalarNode n, string where, int min) =>
        int.TryParse(n.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min
            ? v : throw new SweepFileException($"{where}: expected an integer >= {min}, got '{n.Value}'");

    static double Double(YamlScalarNode n, string where) =>
        double.TryParse(n.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v : throw new SweepFileException($"{where}: expected a number, got '{n.Value}'");

    /// <summary>" (did you mean 'x'?)" for the nearest allowed key within edit distance 3.</summary>
    static string Suggest(string key, IEnumerable<string> allowed)
    {
        var best = allowed.Select(a => (a, d: Levenshtein(key, a))).OrderBy(p => p.d).First();
        return best.d <= 3 ? $" '{key}' (did you mean '{best.a}'?)" : $" '{key}'";
    }

    static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
