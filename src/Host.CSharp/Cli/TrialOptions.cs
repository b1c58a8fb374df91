namespace Lrbs.Host.Cli;

/// <summary>The command-line form of every trial key of <see cref="TrialConfigModule.keys"/>:
/// `--batch-size` for batch_size, with the key's meaning and default in the help. The host
/// only collects text; the core's builder parses, applies defaults and checks.</summary>
public sealed class TrialOptions
{
    /// <summary>Keys whose option has a shorter, established name.</summary>
    static readonly Dictionary<string, string> Renamed = new()
    {
        ["max_epochs"] = "--epochs",
        ["early_stopping_patience"] = "--early-stopping",
    };

    readonly List<(string Key, Option<string?> Option)> _options = [];
    readonly Option<bool> _stable = new("--stop-when-stable") { Description = "Stop when the epoch training loss changes by < stable_delta (0.01) for stable_patience (10) consecutive epochs: the studies' rule." };

    public TrialOptions()
    {
        foreach (var (key, fallback, meaning) in Trials.Keys.Select(k => (k.Key, k.Default, k.Meaning)))
        {
            if (key == "stop_when_stable") continue;
            var description = meaning + (fallback.Length > 0 ? $" (default {fallback})" : "");
            _options.Add((key, new Option<string?>(OptionName(key)) { Description = description, Required = key == "dataset" }));
        }
    }

    public static string OptionName(string key) => Renamed.TryGetValue(key, out var name) ? name : "--" + key.Replace('_', '-');

    public void AddTo(Command command)
    {
        foreach (var (_, option) in _options) command.Options.Add(option);
        command.Options.Add(_stable);
    }

    /// <summary>The key = text pairs the user gave.</summary>
    public IReadOnlyList<(string Key, string Value)> Fields(ParseResult parse)
    {
        var fields = new List<(string, string)>();
        foreach (var (key, option) in _options)
            if (parse.GetValue(option) is string text)
                // --model FILE: a declared model, as the canonical JSON the core reads
                fields.Add((key, key == "model" ? Lrbs.Host.Sweeps.ModelFiles.Resolve(text, "--model") : text));
        if (parse.GetValue(_stable)) fields.Add(("stop_when_stable", "true"));
        return fields;
    }
}
