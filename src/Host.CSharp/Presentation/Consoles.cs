using Spectre.Console;

namespace Lrbs.Host.Presentation;

/// <summary>Spectre consoles over a command's output writer.</summary>
public static class Consoles
{
    /// <summary>A console writing to `output`; without a terminal (redirected, or a test's writer)
    /// it writes no colour codes and is 220 columns wide so that ids and case names are not wrapped.</summary>
    public static IAnsiConsole For(TextWriter output)
    {
        var terminal = output == Console.Out && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(terminal
            ? new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) }
            : new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        if (!terminal) console.Profile.Width = 220;
        return console;
    }
}
