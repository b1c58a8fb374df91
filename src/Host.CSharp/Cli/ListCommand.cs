using System.CommandLine;
using Lrbs.Core.Data;
using Lrbs.Core.Models;
using Lrbs.Core.Optimizers;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs list`: the datasets, models and optimizers this build knows.</summary>
public static class ListCommand
{
    public static Command Build(TextWriter output)
    {
        var cmd = new Command("list", "List the datasets, models, layers, activations and optimizers (with their keys and defaults) that --dataset, --model, model files and --optimizer accept.");
        cmd.SetAction(_ =>
        {
            output.WriteLine("datasets:");
            foreach (var d in Registry.datasets) output.WriteLine($"  {d.Name,-24} {d.Description}");
            output.WriteLine("models:");
            foreach (var (name, description) in Catalog.describe()) output.WriteLine($"  {name,-24} {description}");
            output.WriteLine("layers (model files: `- KIND: {key: value}`):");
            foreach (var d in LayerRegistry.all)
            {
                var keys = d.Keys.Select(k => k.Default is null ? k.Name : $"{k.Name}={k.Default.Value.Canonical}").ToList();
                if (d.HasActivation) keys.Add("activation=linear");
                output.WriteLine($"  {d.Name,-24} {d.Doc}" + (keys.Count > 0 ? $" [{string.Join(", ", keys)}]" : ""));
            }
            output.WriteLine("activations:");
            foreach (var a in Activations.all) output.WriteLine($"  {a.Name,-24} {a.Doc}");
            output.WriteLine("optimizers (hyper-parameters: --KEY VALUE, or optimizer: {name: N, KEY: VALUE}):");
            foreach (var k in Kinds.all)
                output.WriteLine($"  {k.Name,-24} {k.Doc} [{string.Join(", ", k.Keys.Select(h => $"{h.Name}={h.Default.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"))}]");
            foreach (var (name, kind, keys) in OptimizerSpecModule.presets)
                output.WriteLine($"  {name,-24} {kind.Name} with {string.Join(", ", keys.Select(p => { var (key, value) = p; return $"{key}={value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"; }))}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
