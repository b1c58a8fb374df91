using Lrbs.Core.Optimizers;
using Lrbs.Core.Planning;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Lrbs.Host.Sweeps;

/// <summary>A bad sweep file: the file, the line and the key path, and what is allowed.</summary>
public sealed class SweepFileException(string message) : Exception(message);

/// <summary>A parsed sweep: its name, output folder, whether it packs trials, and the trials it
/// expands to, in plan order. With a learning-rate search, `Trials` is its first round and
/// `Search` plans the rest from the committed outcomes.
/// With a branch section, `Trials` are its reference runs, then their branches, and `Branching`
/// says which is which.</summary>
public sealed record Sweep(string Name, string Out, bool Pack, IReadOnlyList<PlannedTrial> Trials, LrSearch? Search = null, BranchStudy? Branching = null);

/// <summary>Reads a YAML sweep file (see README "Sweep files") and expands it into trials. It
/// only turns YAML into key = text pairs: the core's TrialConfig.build parses and checks them.</summary>
public static class SweepFile
{
    /// <summary>Nested blocks and the flat trial keys their entries stand for.</summary>
    static readonly Dictionary<string, Dictionary<string, string>> Blocks = new()
    {
        ["noise_scale"] = new() { ["every"] = "noise_scale_every", ["small"] = "noise_scale_small", ["ema"] = "noise_scale_ema" },
        ["stopping"] = new() { ["max_epochs"] = "max_epochs", ["stabilisation"] = "", ["early_stopping"] = "" },
        ["stopping.stabilisation"] = new() { ["delta"] = "stable_delta", ["patience"] = "stable_patience" },
        ["stopping.early_stopping"] = new() { ["patience"] = "early_stopping_patience", ["min_delta"] = "early_stopping_min_delta", ["monitor"] = "early_stopping_monitor" },
    };

    static readonly string[] SweepKeys = ["name", "grid", "grids", "repeats", "out", "pack"];
    static IEnumerable<string> TrialKeys => Trials.Keys.Select(k => k.Key);
    static IEnumerable<string> TopKeys => [.. SweepKeys, .. TrialKeys, "noise_scale", "stopping", "branch"];
    static readonly string[] BranchKeys = ["at", "batch_sizes", "window", "lr", "tolerance", "loss"];

    public static Sweep Load(string path)
    {
        if (!File.Exists(path)) throw new SweepFileException($"{path}: sweep file not found");
        var stream = new YamlStream();
        try { stream.Load(new StringReader(File.ReadAllText(path))); }
        catch (YamlException e) { throw new SweepFileException(YamlErrors.Malformed(path, e)); }
        catch (InvalidOperationException e) { throw new SweepFileException($"{path}: malformed YAML (the parser stopped: {e.Message})"); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new SweepFileException($"{path}: a sweep file is a YAML mapping of keys ({string.Join(", ", TopKeys)})");
        return new Parser(path).Parse(root);
    }

    /// <summary>One problem of a sweep file, at the line and column of the key or value at fault.
    /// The parser records every problem it can find before it gives up (Failed), so that one run
    /// of `sweep plan` lists them all.</summary>
    sealed class Problem(string message) : Exception(message);

    sealed class Parser(string path)
    {
        readonly List<string> _problems = [];

        string Where(YamlNode n, string key) => $"{YamlErrors.At(path, n)}: {key}";

        /// <summary>Records a problem and carries on; `Fail` records one and stops this branch.</summary>
        void Note(string message) { if (!_problems.Contains(message)) _problems.Add(message); }

        Problem Fail(string message) { Note(message); return new Problem(message); }

        /// <summary>Runs `part`; a Problem it throws is already recorded, so parsing goes on.</summary>
        T? Try<T>(Func<T> part) where T : class
        {
            try { return part(); }
            catch (Problem) { return null; }
        }

        void Try(Action part)
        {
            try { part(); }
            catch (Problem) { }
        }

        public Sweep Parse(YamlMappingNode root)
        {
            Sweep? sweep = null;
            try { sweep = ParseAll(root); }
            catch (Problem) { }
            if (_problems.Count == 1) throw new SweepFileException(_problems[0]);
            if (_problems.Count > 1)
                throw new SweepFileException($"{_problems.Count} problems in {path}:\n" + string.Join("\n", _problems.Select(p => "  " + p)));
            return sweep!;
        }

        /// <summary>The whole file, key by key. (About 70 lines: one case per top-level key of a sweep
        /// file, in the order README "Sweep files" lists them.)</summary>
        Sweep ParseAll(YamlMappingNode root)
        {
            var settings = new Dictionary<string, YamlScalarNode>();
            var grids = new List<List<(string Key, List<List<(string Key, YamlScalarNode Value)>> Values)>>();
            string? name = null, outDir = null;
            LrBracket.Spec? bracket = null;
            (BranchSpec Spec, YamlMappingNode Node)? branch = null;
            int repeats = 1;
            var pack = false;
            foreach (var (keyNode, value) in root.Children) Try(() =>
            {
                var key = ((YamlScalarNode)keyNode).Value ?? "";
                if (!TopKeys.Contains(key))
                    throw Fail($"{Where(keyNode, key)}: unknown key '{key}'{TrialConfigModule.suggest(key, TopKeys)}; allowed: {string.Join(", ", SweepKeys)}, " +
                        "the blocks stopping, noise_scale and branch, and the trial keys (`lrbs train --help` lists them)");
                if (key.StartsWith("branch_", StringComparison.Ordinal))
                    throw Fail($"{Where(keyNode, key)}: a sweep's branches come from its branch section (branch: {{at: [...], batch_sizes: [...], window: W, lr: {{rule: R}}}}), not from {key}");
                if (value is YamlMappingNode bm && HasBracket(bm))
                {
                    if (key != "lr") throw NotLr(bm, key);
                    bracket = Bracket(bm);
                    return;
                }
                switch (key)
                {
                    case "name": name = Scalar(value, key).Value; break;
                    case "out": outDir = Scalar(value, key).Value; break;
                    case "repeats": repeats = Int(Scalar(value, key), key, min: 1); break;
                    case "pack": pack = Bool(Scalar(value, key), key); break;
                    case "noise_scale":
                    case "stopping": Flatten(value, key, settings); break;
                    case "grid": grids.Add(Grid(value, "grid")); break;
                    case "branch": branch = (Branch(value), (YamlMappingNode)value); break;
                    case "model" or "optimizer":
                        foreach (var (k, v) in Choice(key, value, key)) settings[k] = v;
                        break;
                    case "grids":
                        if (value is not YamlSequenceNode list || list.Children.Count == 0)
                            throw Fail($"{Where(value, key)}: expected a list of grids (mappings of trial keys to lists)");
                        foreach (var (g, i) in list.Children.Select((g, i) => (g, i)))
                            if (Try(() => Grid(g, $"grids[{i}]")) is { } parsed) grids.Add(parsed);
                        break;
                    default: settings[key] = Scalar(value, key); break;
                }
            });
            // the trials are built from the keys that parsed (a key that did not is left at its
            // default), so that their values' problems are listed in the same run as the keys'
            if (name is null) throw Fail($"{path}: missing key 'name'");
            outDir ??= Path.Combine("results", name);
            if (root.Children.Keys.Any(k => ((YamlScalarNode)k).Value == "grid") && root.Children.Keys.Any(k => ((YamlScalarNode)k).Value == "grids"))
                throw Fail($"{path}: give either grid (one grid) or grids (a list of grids), not both");
            if (bracket is not null && grids.SelectMany(g => g).FirstOrDefault(k => k.Key == "lr") is { Key: not null } listed)
                throw Fail($"{path}: lr: give either a bracket (lr: {{bracket: [LOW, HIGH], ...}}) or a list of learning rates under grid, not both");
            if (grids.Count == 0) grids.Add([]);
            if (grids.All(g => g.Count == 0) && settings.Count == 0)
                throw Fail($"{path}: empty sweep: give trial keys ({string.Join(", ", TrialKeys)}) at the top or under grid");

            if (bracket is not null && branch is not null) throw Fail($"{path}: give either a learning-rate bracket or a branch section, not both");
            if (bracket is not null) return Searched(name, outDir, pack, repeats, settings, grids, bracket);
            if (branch is { } b) return Branched(name, outDir, pack, repeats, settings, grids, b.Spec, b.Node);
            var trials = new List<PlannedTrial>();
            var seen = new HashSet<string>();
            foreach (var (values, r) in Expand(settings, grids, repeats))
            {
                var config = Build(values, r);
                var id = TrialConfigModule.id(config);
                if (seen.Add(id)) trials.Add(new PlannedTrial(trials.Count, id, config, false));
            }
            return new Sweep(name, outDir, pack, trials);
        }

        /// <summary>A sweep whose learning rate is searched per group (every grid combination,
        /// all keys but lr and seed): the groups, and the first round as its trials.</summary>
        Sweep Searched(string name, string outDir, bool pack, int repeats, Dictionary<string, YamlScalarNode> settings,
            List<List<(string Key, List<List<(string Key, YamlScalarNode Value)>> Values)>> grids, LrBracket.Spec bracket)
        {
            var groups = new List<SearchGroup>();
            var seen = new HashSet<string>();
            foreach (var combo in grids.SelectMany(Cartesian))
            {
                var values = new Dictionary<string, YamlScalarNode>(settings);
                foreach (var (k, v) in combo) values[k] = v;
                var first = Searches.FirstLr(bracket);
                var probe = Build(WithLr(values, first), 0); // errors of the group's keys surface here, before anything runs
                if (!seen.Add(TrialConfigModule.id(probe))) continue;
                var label = string.Join(", ", combo.Where(kv => kv.Key != "model").Select(kv => $"{kv.Key}={kv.Value.Value}"));
                var frozen = values;
                groups.Add(new SearchGroup(groups.Count, label.Length > 0 ? label : "all", repeats, (lr, r) => Build(WithLr(frozen, lr), r)));
            }
            var search = new LrSearch(bracket, groups);
            return new Sweep(name, outDir, pack, search.Plan(new Dictionary<string, LrBracket.Outcome>()).Trials, search);
        }

        /// <summary>A branched sweep (BranchStudy): every grid combination and repeat is a reference
        /// run; from each, one branch per branch point and batch size, built from the same keys with
        /// the branch's (BranchSpec.branchKeys), so that TrialConfig checks each branch as it checks
        /// any trial. A grid over a key the section sets is an error naming it.</summary>
        Sweep Branched(string name, string outDir, bool pack, int repeats, Dictionary<string, YamlScalarNode> settings,
            List<List<(string Key, List<List<(string Key, YamlScalarNode Value)>> Values)>> grids, BranchSpec spec, YamlMappingNode node)
        {
            foreach (var key in Branches.SetKeys)
            {
                if (settings.TryGetValue(key, out var given)) throw Fail($"{Where(given, key)}: the branch section sets {key} for each branch; remove it");
                if (grids.SelectMany(g => g).FirstOrDefault(k => k.Key == key) is { Key: not null } listed && listed.Values[0][0] is var (_, first))
                    throw Fail($"{Where(first, "grid." + key)}: the branch section sets {key} for each branch; a grid cannot vary it");
            }
            var references = new List<PlannedTrial>();
            var branches = new List<TrialConfig>();
            var seen = new HashSet<string>();
            foreach (var (values, r) in Expand(settings, grids, repeats))
            {
                var reference = Build(values, r);
                if (!seen.Add(TrialConfigModule.id(reference))) continue;
                references.Add(new PlannedTrial(references.Count, TrialConfigModule.id(reference), reference, false));
                foreach (var at in Branches.Points(spec))
                    foreach (var batch in Branches.BatchSizes(spec))
                    {
                        IReadOnlyList<KeyValuePair<string, string>> keys;
                        try { keys = Branches.Keys(spec, reference.BatchSize, at, batch); }
                        catch (ConfigException e) { throw Fail($"{Where(node, "branch." + e.Errors[0].Field)}: {e.Errors[0].Message}"); }
                        var withBranch = new Dictionary<string, YamlScalarNode>(values);
                        foreach (var (k, v) in keys) withBranch[k] = new YamlScalarNode(v);
                        branches.Add(Build(withBranch, r, node));
                    }
            }
            var planned = branches.Select((c, i) => new PlannedTrial(references.Count + i, TrialConfigModule.id(c), c, false)).ToList();
            var study = Branches.Study(spec, references, planned);
            return new Sweep(name, outDir, pack, [.. references, .. planned], Branching: study);
        }

        /// <summary>Every grid combination over the top-level keys, with each repeat (0-based):
        /// the trial keys of one planned trial before its seed is set.</summary>
        static IEnumerable<(Dictionary<string, YamlScalarNode> Values, int Repeat)> Expand(Dictionary<string, YamlScalarNode> settings,
            List<List<(string Key, List<List<(string Key, YamlScalarNode Value)>> Values)>> grids, int repeats)
        {
            foreach (var combo in grids.SelectMany(Cartesian))
            {
                var values = new Dictionary<string, YamlScalarNode>(settings);
                foreach (var (k, v) in combo) values[k] = v;
                for (var r = 0; r < repeats; r++) yield return (values, r);
            }
        }

        /// <summary>branch: {at: [EPOCHS, ...], batch_sizes: [B, ...], window: EPOCHS, lr: {rule: R},
        /// tolerance: EPS, loss: test|validation|train}, checked by the core (Branches.Spec).</summary>
        BranchSpec Branch(YamlNode value)
        {
            if (value is not YamlMappingNode m) throw Fail($"{Where(value, "branch")}: expected a mapping ({string.Join(", ", BranchKeys)})");
            List<double> at = [];
            List<int> batches = [];
            double? window = null;
            string? rule = null;
            var tolerance = BranchSpecModule.defaultTolerance;
            var loss = BranchLoss.Test;
            T Checked<T>(YamlNode node, Func<T> read)
            {
                try { return read(); }
                catch (ConfigException e) { throw Fail($"{Where(node, "branch." + e.Errors[0].Field)}: {e.Errors[0].Message}"); }
            }
            foreach (var (k, v) in m.Children)
            {
                var key = ((YamlScalarNode)k).Value ?? "";
                var where = "branch." + key;
                switch (key)
                {
                    case "at": at = List(v, where).Select(n => Number(n, where)).ToList(); break;
                    case "batch_sizes": batches = List(v, where).Select(n => Int(n, where, 1)).ToList(); break;
                    case "window": window = Number(Scalar(v, where), where); break;
                    case "tolerance": tolerance = Number(Scalar(v, where), where); break;
                    case "loss": loss = Checked(v, () => Branches.Loss(Scalar(v, where).Value ?? "", "loss")); break;
                    case "lr":
                        if (v is not YamlMappingNode lr || lr.Children.Count != 1 || (lr.Children.Keys.First() as YamlScalarNode)?.Value != "rule")
                            throw Fail($"{Where(v, where)}: expected {{rule: R}}, R one of none, linear, sqrt, adam-sqrt-sde, beta2-halflife (a branch's learning rate from the reference's; a search per branch is not supported)");
                        rule = Scalar(lr.Children.Values.First(), where + ".rule").Value ?? "";
                        Checked(lr, () => { Branches.CheckRule(rule, "lr.rule"); return 0; });
                        break;
                    default:
                        throw Fail($"{Where(k, where)}: unknown key '{key}'{TrialConfigModule.suggest(key, BranchKeys)}; allowed: {string.Join(", ", BranchKeys)}");
                }
            }
            if (window is null) throw Fail($"{Where(m, "branch")}: missing key 'window' (the epochs of examples each branch trains; the paper's Δ, no default)");
            if (rule is null) throw Fail($"{Where(m, "branch")}: missing key 'lr' ({{rule: R}}: how a branch's learning rate follows its batch size; no default)");
            return Checked(m, () => Branches.Spec(at, batches, window.Value, rule, tolerance, loss));
        }

        List<YamlScalarNode> List(YamlNode node, string key) =>
            node is YamlSequenceNode seq && seq.Children.Count > 0
                ? seq.Children.Select(c => Scalar(c, key)).ToList()
                : throw Fail($"{Where(node, key)}: expected a list of values, e.g. [1, 2]");

        static Dictionary<string, YamlScalarNode> WithLr(Dictionary<string, YamlScalarNode> values, double lr) =>
            new(values) { ["lr"] = new YamlScalarNode(lr.ToString("R", CultureInfo.InvariantCulture)) };

        static bool HasBracket(YamlMappingNode m) => m.Children.Keys.Any(k => (k as YamlScalarNode)?.Value == "bracket");

        Problem NotLr(YamlNode node, string key) =>
            Fail($"{Where(node, key)}: a bracket applies only to lr (the learning rate searched per group); {key} takes a value, or a list under grid");

        static readonly string[] BracketKeys = ["bracket", "points", "refine_to", "max_extend", "max_refine"];

        /// <summary>lr: {bracket: [LOW, HIGH], points: N, refine_to: F, max_extend: N, max_refine: N}, checked.</summary>
        LrBracket.Spec Bracket(YamlMappingNode m)
        {
            double? low = null, high = null;
            int points = 0, maxExtend = LrBracket.defaultMaxExtend, maxRefine = LrBracket.defaultMaxRefine;
            var refineTo = LrBracket.defaultRefineTo;
            foreach (var (k, v) in m.Children)
            {
                var key = ((YamlScalarNode)k).Value ?? "";
                var at = "lr." + key;
                switch (key)
                {
                    case "bracket":
                        if (v is not YamlSequenceNode ends || ends.Children.Count != 2)
                            throw Fail($"{Where(v, at)}: expected two learning rates [LOW, HIGH], e.g. [1e-4, 1e-1]");
                        low = Number(Scalar(ends.Children[0], at), at);
                        high = Number(Scalar(ends.Children[1], at), at);
                        break;
                    case "points": points = IntAny(Scalar(v, at), at); break;
                    case "refine_to": refineTo = Number(Scalar(v, at), at); break;
                    case "max_extend": maxExtend = IntAny(Scalar(v, at), at); break;
                    case "max_refine": maxRefine = IntAny(Scalar(v, at), at); break;
                    default:
                        throw Fail($"{Where(k, at)}: unknown key '{key}'{TrialConfigModule.suggest(key, BracketKeys)}; allowed: {string.Join(", ", BracketKeys)}");
                }
            }
            if (low is null) throw Fail($"{Where(m, "lr")}: missing key 'bracket' ([LOW, HIGH])");
            if (!m.Children.Keys.Any(k => ((YamlScalarNode)k).Value == "points")) throw Fail($"{Where(m, "lr")}: missing key 'points' (log-spaced learning rates in the first round, >= 3)");
            var spec = new LrBracket.Spec(low.Value, high!.Value, points, refineTo, maxExtend, maxRefine);
            try { Searches.Check(spec); }
            catch (ConfigException e) { throw Fail($"{Where(m, e.Errors[0].Field)}: {e.Errors[0].Message}"); }
            return spec;
        }

        double Number(YamlScalarNode n, string key) =>
            double.TryParse(n.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
                ? v : throw Fail($"{Where(n, key)}: expected a number, got '{n.Value}'");

        int IntAny(YamlScalarNode n, string key) =>
            int.TryParse(n.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
                ? v : throw Fail($"{Where(n, key)}: expected an integer, got '{n.Value}'");

        /// <summary>One value of `model` or `optimizer` as trial keys. model: a catalog name, a model
        /// file (relative to the sweep file) or an inline mapping (name, layers), each as the text
        /// TrialConfig.build reads; optimizer: a name, or a mapping {name: N, KEY: VALUE, ...} whose
        /// keys are the optimizer's hyper-parameters.</summary>
        List<(string Key, YamlScalarNode Value)> Choice(string key, YamlNode node, string at)
        {
            if (key == "model")
            {
                try
                {
                    var json = node is YamlMappingNode ? ModelFiles.Json(node, path) : ModelFiles.Resolve(Scalar(node, at).Value ?? "", Where(node, at));
                    return [("model", new YamlScalarNode(json))];
                }
                catch (ModelFileException e)
                {
                    // each of the model's problems, at its own file, line and column
                    var lines = e.Message.Split('\n');
                    foreach (var line in lines.Length > 1 ? lines.Skip(1) : lines) Note(line.Trim());
                    throw new Problem(e.Message);
                }
            }
            if (key == "optimizer" && node is YamlMappingNode m)
            {
                var pairs = new List<(string Key, YamlScalarNode Value)>();
                foreach (var (k, v) in m.Children)
                {
                    var name = ((YamlScalarNode)k).Value ?? "";
                    var allowed = new[] { "name" }.Concat(Catalogue.HyperKeys).ToList();
                    if (!allowed.Contains(name))
                    {
                        Note($"{Where(k, at + "." + name)}: unknown key '{name}'{TrialConfigModule.suggest(name, allowed)}; allowed: {string.Join(", ", allowed)}");
                        continue;
                    }
                    pairs.Add((name == "name" ? "optimizer" : name, Scalar(v, at + "." + name)));
                }
                if (!pairs.Any(p => p.Key == "optimizer")) throw Fail($"{Where(node, at)}: an optimizer mapping needs its name (name: lamb)");
                return pairs;
            }
            return [(key, Scalar(node, at))];
        }

        List<(string, List<List<(string Key, YamlScalarNode Value)>>)> Grid(YamlNode value, string name)
        {
            if (value is not YamlMappingNode g) throw Fail($"{Where(value, name)}: expected a mapping of trial keys to lists");
            var grid = new List<(string, List<List<(string Key, YamlScalarNode Value)>>)>();
            foreach (var (gk, gv) in g.Children) Try(() =>
            {
                var key = ((YamlScalarNode)gk).Value ?? "";
                if (!TrialKeys.Contains(key))
                    throw Fail($"{Where(gk, name + "." + key)}: unknown key '{key}'{TrialConfigModule.suggest(key, TrialKeys)}; allowed: the trial keys (`lrbs train --help` lists them)");
                var items = gv is YamlSequenceNode seq ? seq.Children.ToList() : [gv];
                foreach (var item in items.OfType<YamlMappingNode>().Where(HasBracket))
                    throw key == "lr"
                        ? Fail($"{Where(item, name + ".lr")}: a bracket goes at the top level (lr: {{bracket: [LOW, HIGH], points: N}}), not under {name}")
                        : NotLr(item, name + "." + key);
                var list = items.Select(c => Choice(key, c, name + "." + key)).ToList();
                if (list.Count == 0) throw Fail($"{Where(gv, name + "." + key)}: empty list; give at least one value");
                grid.Add((key, list));
            });
            return grid;
        }

        /// <summary>A nested block (noise_scale, stopping and its sub-blocks) as flat trial keys.</summary>
        void Flatten(YamlNode node, string block, Dictionary<string, YamlScalarNode> settings)
        {
            var allowed = Blocks[block];
            if (node is not YamlMappingNode m) throw Fail($"{Where(node, block)}: expected a mapping ({string.Join(", ", allowed.Keys)})");
            foreach (var (k, v) in m.Children)
            {
                var key = ((YamlScalarNode)k).Value ?? "";
                if (!allowed.TryGetValue(key, out var flat))
                {
                    Note($"{Where(k, block + "." + key)}: unknown key '{key}'{TrialConfigModule.suggest(key, allowed.Keys)}; allowed: {string.Join(", ", allowed.Keys)}");
                    continue;
                }
                Try(() =>
                {
                    if (flat == "") Flatten(v, block + "." + key, settings); // its keys turn the rule on
                    else settings[flat] = Scalar(v, block + "." + key);
                });
            }
        }

        /// <summary>A trial from the keys given; a problem of a key the file does not give (a branch's
        /// own keys) is placed at `section`.</summary>
        TrialConfig Build(Dictionary<string, YamlScalarNode> values, int repeat, YamlNode? section = null)
        {
            var fields = values.Select(kv => (kv.Key, kv.Value.Value ?? "")).ToList();
            if (repeat > 0)
            {
                var seedText = values.TryGetValue("seed", out var s) ? s.Value ?? "" : TrialConfigModule.defaultOf("seed");
                if (int.TryParse(seedText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
                    fields = [.. fields.Where(f => f.Key != "seed"), ("seed", (seed + repeat).ToString(CultureInfo.InvariantCulture))];
            }
            try { return Trials.Build(fields); }
            catch (ConfigException failed)
            {
                foreach (var e in failed.Errors)
                    Note(section is not null && (Branches.SetKeys.Contains(e.Field) || e.Field == "batch_size")
                        ? $"{Where(section, "branch")}: {e.Field}: {e.Message}"
                        : values.TryGetValue(e.Field, out var node) ? $"{Where(node, e.Field)}: {e.Message}" : $"{path}: {e.Field}: {e.Message}");
                throw new Problem(failed.Errors[0].Message);
            }
        }

        YamlScalarNode Scalar(YamlNode node, string key) =>
            node as YamlScalarNode ?? throw Fail($"{Where(node, key)}: expected a single value, got a {(node is YamlSequenceNode ? "list" : "mapping")}");

        int Int(YamlScalarNode n, string key, int min) =>
            int.TryParse(n.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min
                ? v : throw Fail($"{Where(n, key)}: expected an integer >= {min}, got '{n.Value}'");

        bool Bool(YamlScalarNode n, string key) => n.Value switch
        {
            "true" => true,
            "false" => false,
            _ => throw Fail($"{Where(n, key)}: expected true or false, got '{n.Value}'"),
        };
    }

    static IEnumerable<List<(string Key, YamlScalarNode Value)>> Cartesian(List<(string Key, List<List<(string Key, YamlScalarNode Value)>> Values)> grid)
    {
        IEnumerable<List<(string Key, YamlScalarNode Value)>> acc = [[]];
        foreach (var (_, values) in grid)
            acc = acc.SelectMany(prefix => values.Select(v => new List<(string Key, YamlScalarNode Value)>([.. prefix, .. v])));
        return acc;
    }
}
