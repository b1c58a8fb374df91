using System.CommandLine;

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
            "lrbs: learning-rate x batch-size studies of small image models, on libtorch, with results in Parquet.");
        root.Subcommands.Add(TrainCommand.Build(output, error));
        root.Subcommands.Add(ListCommand.Build(output));
        root.Subcommands.Add(ModelCommand.Build(output, error));
        root.Subcommands.Add(SweepCommand.Build(output, error));
        root.Subcommands.Add(ResultsCommand.Build(output, error));
        root.Subcommands.Add(ParityCommand.Build(output, error));
        root.Subcommands.Add(BenchCommand.Build(output, error));
        root.Subcommands.Add(DataCommand.Build(output, error));
        root.Subcommands.Add(ReportCommand.Build(output, error));
        return root;
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
