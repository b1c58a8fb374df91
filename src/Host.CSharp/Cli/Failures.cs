using Lrbs.Host.Parity;
using Lrbs.Host.Report;
using Lrbs.Host.Sweeps;

namespace Lrbs.Host.Cli;

/// <summary>Bad input found by a command itself (an option's value, an output folder): exit 2.</summary>
public sealed class InputException(string message) : Exception(message);

/// <summary>Something the machine lacks that ./scripts/setup.sh installs (a library, a package): exit 3.</summary>
public sealed class SetupException(string message) : Exception(message);

/// <summary>The one place that maps a failure to an exit code and what the user sees. Commands
/// throw; they do not catch. A configuration or data error is 2 with its message, a missing
/// native library or package 3 with what to install, anything else a bug: 1 with its trace.</summary>
public static class Failures
{
    public static int Report(Exception e, TextWriter error)
    {
        switch (e)
        {
            case ReferenceException { MissingDependency: true }:
                // a missing node, libpython or numpy is the machine's setup, like a missing native library
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Setup;
            case AggregateException { InnerExceptions: [var only] }:
                return Report(only, error);
            case InputException or OutputException or SweepFileException or ModelFileException or ResultsException or StorageException or ReportException or ReferenceException:
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            case SetupException:
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.Setup;
            case DllNotFoundException:
                // The message names the library and where the loader looked.
                error.WriteLine($"error: {e.Message}");
                if (!e.Message.Contains("setup.sh")) error.WriteLine("Run ./scripts/setup.sh: it installs and builds the native libraries lrbs loads.");
                return ExitCodes.Setup;
            default:
                error.WriteLine($"internal error (a bug in lrbs; please report it with this trace): {e}");
                return ExitCodes.Failed;
        }
    }
}
