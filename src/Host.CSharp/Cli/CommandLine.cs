namespace Lrbs.Host.Cli;

/// <summary>Exit codes of every lrbs command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>A trial or check ran and failed (e.g. a parity case outside tolerance).</summary>
    public const int Failed = 1;
    /// <summary>Bad input: an unknown name, an invalid value, a missing file.</summary>
    public const int BadInput = 2;
    /// <summary>The machine lacks something ./scripts/setup.sh installs (a native library, node, libpython, numpy).</summary>
    public const int Setup = 3;
}

/// <summary>The lrbs command tree and its entry point.</summary>
public static class CommandLine
{
    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand(
            "lrbs: learning-rate x batch-size studies of small image models, on libtorch, with results in Parquet.\n\n" +
            "New here? README.md, 'Your first study': six commands from a model file to a report, about a minute:\n" +
            "  lrbs sweep plan examples/first-study/sweep.yaml\n  lrbs sweep run examples/first-study/sweep.yaml\n  lrbs report results/first-study\n" +
            "Then docs/: training.md (trial keys), sweeps.md, results.md (every column), report.md.");
        root.Subcommands.Add(TrainCommand.Build(output, error));
        root.Subcommands.Add(ListCommand.Build(output));
        root.Subcommands.Add(ModelCommand.Build(output, error));
        root.Subcommands.Add(SweepCommand.Build(output, error));
        root.Subcommands.Add(ResultsCommand.Build(output, error));
        root.Subcommands.Add(ParityCommand.Build(output, error));
        root.Subcommands.Add(BenchCommand.Build(output, error));
        root.Subcommands.Add(DataCommand.Build(output, error));
        root.Subcommands.Add(ReportCommand.Build(output, error));
        root.Subcommands.Add(WarmupCommand.Build(output, error));
        return root;
    }

    /// <summary>For each token the parser did not match, the option or command it most likely
    /// means (Suggest: `--learning-rate` is `--lr`, `--epoch` is `--epochs`, `sweeps` is `sweep`).</summary>
    static IEnumerable<string> Hints(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var options = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith('-')).ToList();
        var commands = command.Subcommands.Select(c => c.Name).ToList();
        foreach (var token in parsed.UnmatchedTokens.Distinct())
        {
            var near = Searches.Nearest(token, token.StartsWith('-') ? options : commands);
            if (near is { } n && n != token)
                yield return $"  '{token}': did you mean '{n}'? ('{string.Join(' ', CommandPath(parsed.CommandResult).Prepend("lrbs"))} --help' lists them)";
        }
    }

    static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult? r)
    {
        var names = new List<string>();
        for (var c = r; c is not null && c.Parent is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult) names.Insert(0, c.Command.Name);
        return names;
    }

    /// <summary>Parses and runs; a parse error prints the problem and usage hint and returns 2; a
    /// failure inside a command is mapped to its exit code by <see cref="Failures"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var root = Build(output, error);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) error.WriteLine($"error: {e.Message}");
            foreach (var hint in Hints(parsed)) error.WriteLine(hint);
            error.WriteLine("Run 'lrbs --help' or 'lrbs COMMAND --help' for what is allowed.");
            return ExitCodes.BadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Failures.Report(e, error);
        }
    }
}
