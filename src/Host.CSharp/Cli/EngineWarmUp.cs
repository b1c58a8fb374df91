namespace Lrbs.Host.Cli;

/// <summary>Loads the native engine on a thread of its own (libtorch's shared libraries take about
/// half a second to map and initialise) and checks its registries against the F# definitions,
/// so that a command can read its data meanwhile. Wait() rethrows a load failure (a missing
/// library is exit 3, as before). A process must not exit while the load is under way: libtorch's
/// static destructors would run beside its static constructors, and the process died of SIGSEGV
/// (exit 139) after printing a bad input's message. <see cref="Settle"/>, called before every
/// exit, waits for a load in flight.</summary>
public static class EngineWarmUp
{
    static Task? _loading;

    public static Task Start()
    {
        var task = Task.Run(() =>
        {
            Lrbs.Core.Engine.Runtime.threads();
            Lrbs.Core.Models.Network.CheckEngine();
        });
        _loading = task;
        return task;
    }

    /// <summary>Waits for a load in flight to end, whatever its outcome (the command has already
    /// reported what stopped it).</summary>
    public static void Settle()
    {
        try { _loading?.Wait(); }
        catch (AggregateException) { }
    }
}
