using Spectre.Console;

namespace Lrbs.Host.Presentation;

/// <summary>Spectre consoles over a command's output writer.</summary>
public static class Consoles
{
    /// <summary>A console writing to `output`; without a terminal (redirected, or a test's writer)
    /// it is 220 columns wide so that ids and case names are not wrapped.</summary>
    public static IAnsiConsole For(TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (output != Console.Out || Console.IsOutputRedirected) console.Profile.Width = 220;
        return console;
    }
}
