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
        var cmd = new Command("list", "List the datasets, models and optimizers that --dataset, --model and --optimizer accept.");
        cmd.SetAction(_ =>
        {
            output.WriteLine("datasets:");
            foreach (var d in Registry.datasets) output.WriteLine($"  {d.Name,-24} {d.Description}");
            output.WriteLine("models:");
            foreach (var (name, description) in Catalog.describe()) output.WriteLine($"  {name,-24} {description}");
            output.WriteLine("optimizers:");
            foreach (var name in OptimizerSpecModule.names) output.WriteLine($"  {name}");
            return ExitCodes.Ok;
        });
        return cmd;
    }
}
