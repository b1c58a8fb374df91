using Lrbs.Core.Data;
using Lrbs.Core.Models;
using Lrbs.Host.Sweeps;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs model show`: a Keras-style summary of a catalog model or a model file on a dataset.</summary>
public static class ModelCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var model = new Argument<string>("MODEL") { Description = "A catalog model (see `lrbs list`) or a model file (.yaml: name and layers)." };
        var dataset = new Option<string>("--dataset")
        {
            Description = "The dataset whose input shape and targets the model meets (default: boxes for cnn-box, fashion-mnist otherwise).",
        };
        var show = new Command("show", "Print each layer's output shape and parameter count, and the totals (Keras's model.summary()); checks that the model fits the dataset.") { model, dataset };
        show.SetAction(parse =>
        {
            var name = parse.GetValue(model)!;
            var data = parse.GetValue(dataset) ?? (name == "cnn-box" ? "boxes" : "fashion-mnist");
            ModelSpec spec;
            try
            {
                var config = Trials.Build([("dataset", data), ("model", ModelFiles.Resolve(name, "model"))]);
                spec = Trials.Model(config, Trials.Prepare(config));
            }
            catch (ConfigException e) { return TrainCommand.Fail(error, e.Errors); }
            string[] summary;
            try { summary = ModelText.Summary(spec); }
            catch (ConfigException e) { error.WriteLine($"error: model: {e.Errors[0].Message}"); return ExitCodes.BadInput; }
            output.WriteLine($"dataset {data}");
            foreach (var line in summary) output.WriteLine(line);
            return ExitCodes.Ok;
        });
        var cmd = new Command("model", "Inspect models: the catalog's and your own (model files).");
        cmd.Subcommands.Add(show);
        return cmd;
    }
}
