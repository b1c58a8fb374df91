using System.CommandLine;
using Lrbs.Core.Data;
using Lrbs.Core.Optimizers;
using Lrbs.Core.Training;
using Lrbs.Host.Presentation;
using Microsoft.FSharp.Core;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs train`: one trial, with a live display or one JSON object.</summary>
public static class TrainCommand
{
    static readonly Dictionary<string, string> OptionOfField = new()
    {
        ["dataset"] = "--dataset", ["model"] = "--model", ["optimizer"] = "--optimizer", ["lr"] = "--lr",
        ["batch_size"] = "--batch-size", ["stopping"] = "--epochs", ["seed"] = "--seed", ["split"] = "--split",
        ["train_limit"] = "--train-limit", ["schedule"] = "--schedule", ["threads"] = "--threads",
    };

    public static Command Build(TextWriter output, TextWriter error)
    {
        var dataset = new Option<string>("--dataset") { Description = $"Dataset: {string.Join(", ", Registry.names)}.", Required = true };
        var model = new Option<string>("--model") { Description = "Model (see 'lrbs list').", DefaultValueFactory = _ => "mlp-100-50" };
        var optimizer = new Option<string>("--optimizer") { Description = $"Optimizer: {string.Join(", ", OptimizerSpecModule.names)}.", DefaultValueFactory = _ => "sgd" };
        var lr = new Option<double>("--lr") { Description = "Learning rate (> 0).", DefaultValueFactory = _ => 0.01 };
        var batch = new Option<int>("--batch-size") { Description = "Batch size (1 .. training rows).", DefaultValueFactory = _ => 32 };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs.", DefaultValueFactory = _ => 5 };
        var stable = new Option<bool>("--stop-when-stable") { Description = "Also stop when the epoch training loss changes by < 1e-2 for 10 consecutive epochs (the studies' rule)." };
        var early = new Option<int?>("--early-stopping") { Description = "Stop after this many epochs without a validation-loss improvement (needs a split with validation, e.g. 80/10/10)." };
        var seed = new Option<int>("--seed") { Description = "Seed for weights, shuffling, splits and dropout.", DefaultValueFactory = _ => 1 };
        var split = new Option<string?>("--split") { Description = "official, 80/20 or 80/10/10 (train/val/test percent). Default: the dataset's own (fashion-mnist: official; mnist: 80/20)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Read the dataset's IDX files from this folder instead of the default place." };
        var limit = new Option<int?>("--train-limit") { Description = "Use only the first N training rows (quick runs)." };
        var threads = new Option<int>("--threads") { Description = "libtorch intra-op threads for this trial (1 is fastest for the small MLPs).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (config, status, per-epoch curves, final metrics) instead of the live display." };

        var cmd = new Command("train", "Train one trial and report per-epoch loss and accuracy and the final test accuracy.")
        {
            dataset, model, optimizer, lr, batch, epochs, stable, early, seed, split, dataDir, limit, threads, json,
        };
        cmd.SetAction(parse =>
        {
            var splitText = parse.GetValue(split);
            var datasetName = parse.GetValue(dataset)!;
            var errors = new List<ConfigError>();
            Split chosenSplit = Registry.defaultSplit(datasetName);
            if (splitText is not null)
            {
                var s = SplitModule.parse(splitText);
                if (s.IsOk) chosenSplit = s.ResultValue; else errors.Add(new ConfigError("split", s.ErrorValue));
            }
            var optimizerName = parse.GetValue(optimizer)!;
            var spec = OptimizerSpecModule.ofName(optimizerName);
            var stopping = new Stopping(
                parse.GetValue(epochs),
                parse.GetValue(stable) ? FSharpOption<Tuple<double, int>>.Some(Tuple.Create(1e-2, 10)) : null,
                parse.GetValue(early) is int p ? FSharpOption<Tuple<int, double>>.Some(Tuple.Create(p, 0.0)) : null);
            var config = new TrialConfig(
                datasetName, Opt(parse.GetValue(dataDir)), parse.GetValue(model)!, optimizerName,
                spec.IsOk ? spec.ResultValue : OptimizerSpec.NewSgd(SgdConfig.Default),
                parse.GetValue(lr), parse.GetValue(batch), Lrbs.Core.Schedules.Schedule.Constant, stopping, chosenSplit,
                parse.GetValue(seed), parse.GetValue(limit) is int n ? FSharpOption<int>.Some(n) : null);
            var threadCount = parse.GetValue(threads);
            if (threadCount < 1) errors.Add(new ConfigError("threads", $"thread count must be >= 1, got {threadCount}"));

            var validated = TrialConfigModule.validate(config);
            if (validated.IsError) errors.AddRange(validated.ErrorValue);
            if (errors.Count > 0) return Fail(error, errors);

            var data = Trainer.prepare(config);
            if (data.IsError) return Fail(error, data.ErrorValue);

            Lrbs.Core.Engine.Runtime.setThreads(threadCount);
            var result = parse.GetValue(json)
                ? Trainer.tryRun(config, data.ResultValue, Progress.None)
                : TrainDisplay.Run(config, data.ResultValue, output);
            if (parse.GetValue(json)) TrialJson.Write(result, output);
            else TrainDisplay.Summary(result, output);
            return result.Status.IsFailed ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return cmd;
    }

    static FSharpOption<string>? Opt(string? s) => s is null ? null : FSharpOption<string>.Some(s);

    static int Fail(TextWriter error, IEnumerable<ConfigError> errors)
    {
        foreach (var e in errors)
        {
            var name = OptionOfField.TryGetValue(e.Field, out var o) ? o : e.Field;
            error.WriteLine($"error: {name}: {e.Message}");
        }
        return ExitCodes.BadInput;
    }
}
