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
            foreach (var d in Catalogue.Datasets) output.WriteLine($"  {d.Name,-24} {d.Doc}");
            output.WriteLine("models:");
            foreach (var m in Catalogue.Models) output.WriteLine($"  {m.Name,-24} {m.Doc}");
            output.WriteLine("layers (model files: `- KIND: {key: value}`):");
            foreach (var d in Catalogue.Layers)
                output.WriteLine($"  {d.Name,-24} {d.Doc}" + (d.Keys.Length > 0 ? $" [{string.Join(", ", d.Keys)}]" : ""));
            output.WriteLine("activations:");
            foreach (var a in Catalogue.Activations) output.WriteLine($"  {a.Name,-24} {a.Doc}");
            output.WriteLine("optimizers (hyper-parameters: --KEY VALUE, or optimizer: {name: N, KEY: VALUE}):");
            foreach (var k in Catalogue.Optimizers)
                output.WriteLine($"  {k.Name,-24} {k.Doc} [{string.Join(", ", k.Keys)}]");
            foreach (var p in Catalogue.Presets)
                output.WriteLine($"  {p.Name,-24} {p.Doc} with {string.Join(", ", p.Keys)}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
