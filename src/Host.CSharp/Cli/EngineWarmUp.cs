namespace Lrbs.Host.Cli;

/// <summary>Loads the native engine on a thread of its own (libtorch's shared libraries take about
/// half a second to map and initialise) and checks its registries against the F# definitions,
/// so that a command can read its data meanwhile. Wait() rethrows a load failure (a missing
/// library is exit 3, as before).</summary>
public static class EngineWarmUp
{
    public static Task Start() => Task.Run(() =>
    {
        Lrbs.Core.Engine.Runtime.threads();
        Lrbs.Core.Models.Network.CheckEngine();
    });
}
