using Lrbs.Host.Presentation;

namespace Lrbs.Host.Cli;

/// <summary>`lrbs train`: one trial, with a live display or one JSON object.</summary>
public static class TrainCommand
{
    public static Command Build(TextWriter output, TextWriter error)
    {
        var trial = new TrialOptions();
        var threads = new Option<int>("--threads") { Description = "libtorch and BLAS threads for this trial (1 is fastest for the small models).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (config, status, per-epoch curves, final metrics) instead of the live display." };
        var outDir = new Option<string?>("--out") { Description = "Commit the trial to this results folder, as a one-trial sweep would (then `lrbs report DIR` and `lrbs results query DIR` read it)." };
        var cmd = new Command("train", "Train one trial and report per-epoch loss and accuracy and the final test accuracy.") { threads, json, outDir };
        trial.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var timing = new StartupTiming();
            timing.Mark("command parsed");
            var errors = new List<ConfigError>();
            var threadCount = parse.GetValue(threads);
            if (threadCount < 1) errors.Add(new ConfigError("threads", $"expected an integer >= 1, got '{threadCount}'"));
            TrialConfig? built = null;
            try { built = Trials.Build(trial.Fields(parse)); }
            catch (ConfigException e) { errors.AddRange(e.Errors); }
            if (errors.Count > 0 || built is not { } config) return Fail(error, errors);
            if (Trials.BranchPoint(config) is not null)
                return Fail(error, [new ConfigError("branch_at", "a branch starts from its reference run's state, which a sweep with a branch section saves; " +
                    "lrbs train runs no reference run: use a sweep file with a branch section (docs/sweeps.md)")]);
            var store = parse.GetValue(outDir) is { } dir ? new Lrbs.Host.Storage.ResultsStore(dir) : null;

            // the native engine (libtorch, its registries checked) loads while the data is read
            var engine = EngineWarmUp.Start();
            Lrbs.Core.Data.SplitData data;
            try { data = Trials.Prepare(config); }
            catch (ConfigException e) { return Fail(error, e.Errors); }
            timing.Mark("data ready");

            engine.Wait();
            Lrbs.Core.Engine.Runtime.setThreads(threadCount);
            timing.Mark("engine loaded");
            var first = true;
            void FirstStep() { if (!first) return; first = false; timing.Mark("first step done"); timing.Report(error); }
            var result = parse.GetValue(json)
                ? Trainer.tryRun(config, data, Progress.Of((_, _, _, _) => FirstStep(), null, null))
                : TrainDisplay.Run(config, data, output, FirstStep);
            if (parse.GetValue(json)) TrialJson.Write(result, CodeVersion.Current, output);
            else TrainDisplay.Summary(result, output);
            if (store is not null)
            {
                var said = parse.GetValue(json) ? error : output; // JSON alone on standard output
                SweepCommand.MigrateBeforeWriting(store.OutDir, said, error);
                store.Write("train", result, CodeVersion.Current, data.Test);
                said.WriteLine($"committed trial {TrialConfigModule.id(config)} to {store.OutDir} (lrbs report {store.OutDir}; lrbs results query {store.OutDir} \"SELECT * FROM trials\")");
            }
            return result.Status.IsFailed ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return cmd;
    }

    internal static int Fail(TextWriter error, IEnumerable<ConfigError> errors)
    {
        foreach (var e in errors) error.WriteLine($"error: {TrialOptions.OptionName(e.Field)}: {e.Message}");
        return ExitCodes.BadInput;
    }
}

