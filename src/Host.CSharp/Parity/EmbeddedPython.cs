using System.Text.RegularExpressions;
using Python.Runtime;

namespace Lrbs.Host.Parity;

/// <summary>The one CPython interpreter of this process (pythonnet), started on first use.
/// Callers take the GIL with <c>using (Py.GIL())</c> around every Python call.</summary>
public static class EmbeddedPython
{
    /// <summary>Debian's libpython3.11 (package libpython3.11); its numpy is python3-numpy.</summary>
    public const string DebianLibPython = "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0";

    /// <summary>The libpython to load: LRBS_LIBPYTHON, else Debian's.</summary>
    public static string Library =>
        Environment.GetEnvironmentVariable("LRBS_LIBPYTHON") is { Length: > 0 } path ? path : DebianLibPython;

    public const string InstallHint = "apt-get install libpython3.11 (./scripts/setup.sh does), or set LRBS_LIBPYTHON to a libpython3.x.so";

    // One interpreter per process: pythonnet cannot initialise twice, and a failed load cannot be
    // retried (its type initialiser has failed for good), so the Lazy caches the failure too and
    // every caller sees the same message. ExecutionAndPublication: one thread starts it, the rest wait.
    static readonly Lazy<string> started = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Starts the interpreter if it is not yet running; returns the libpython it runs on.
    /// Throws a <see cref="ReferenceException"/> (a missing dependency) if libpython cannot be loaded.</summary>
    public static string EnsureStarted() => started.Value;

    static string Start()
    {
        var library = Library;
        if (!File.Exists(library))
            throw new ReferenceException($"the python reference needs libpython, and {library} was not found: {InstallHint}", missingDependency: true);
        Runtime.PythonDLL = library;
        // Embedded, Python finds its prefix by looking for "python3" on PATH. Here the first one is
        // a pyenv shim (a Python without numpy); a real foreign install there would lend Debian's
        // libpython its own stdlib and site-packages. Pinning the home to the install the library
        // belongs to (/usr for Debian's) gives its stdlib, and Debian's site.py then adds
        // /usr/lib/python3/dist-packages, where python3-numpy lives. The program name makes
        // sys.executable that install's python rather than the shim.
        if (HomeOf(library) is { } home)
        {
            PythonEngine.PythonHome = home;
            var exe = Path.Combine(home, "bin", "python3");
            if (File.Exists(exe)) PythonEngine.ProgramName = exe;
        }
        try
        {
            PythonEngine.Initialize();
        }
        catch (Exception e) when (e is not ReferenceException)
        {
            // pythonnet loads the library in a type initialiser: the reason is the inner exception.
            var reason = (e as TypeInitializationException)?.InnerException?.Message ?? e.Message;
            throw new ReferenceException($"the python reference could not load libpython {library} ({reason}): {InstallHint}", missingDependency: true);
        }
        // Initialize leaves the GIL with this thread. Releasing it lets any thread take it with
        // Py.GIL(), and it is what makes the process exit: pythonnet's own ProcessExit handler calls
        // PythonEngine.Shutdown, which takes the GIL, and hangs if this thread still holds it
        // (tried: the process never exits). We never call Shutdown ourselves: at process exit
        // pythonnet skips the state stash that needs BinaryFormatter (ProcessIsTerminating), so no
        // EnableUnsafeBinaryFormatterSerialization switch is needed, and an interpreter used by
        // several commands or tests in one process must stay up until the end anyway.
        PythonEngine.BeginAllowThreads();
        return library;
    }

    /// <summary>The install a libpython belongs to: the nearest folder above it with
    /// lib/pythonX.Y/os.py (/usr for /usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0, PREFIX for
    /// PREFIX/lib/libpython3.11.so); null if none, and then Python searches as it would.</summary>
    static string? HomeOf(string library)
    {
        var version = Regex.Match(Path.GetFileName(library), @"^libpython(\d+\.\d+)");
        if (!version.Success) return null;
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(library)); dir is not null; dir = Path.GetDirectoryName(dir))
            if (File.Exists(Path.Combine(dir, "lib", $"python{version.Groups[1].Value}", "os.py"))) return dir;
        return null;
    }
}
