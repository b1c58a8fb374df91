using System.Collections.Concurrent;
using Python.Runtime;

namespace Lrbs.Host.Parity;

/// <summary>The Python float64 oracle (reference/python/run_case.py) run in this process on the
/// embedded interpreter: no python process is started. Its answers are the same JSON the
/// command-line script writes, read by <see cref="ReferenceAnswer.Parse"/>.</summary>
public sealed class PythonReference(string script) : IReference
{
    public static PythonReference Create(string root) => new(Path.Combine(root, "reference", "python", "run_case.py"));

    public string Name => "python";
    public string Script => script;

    const string NumpyHint = "apt-get install python3-numpy (./scripts/setup.sh does)";

    // The loaded script per path, loaded once per process (the interpreter outlives every run).
    static readonly ConcurrentDictionary<string, Lazy<PyObject>> modules = new();

    /// <summary>Answers the cases one after another: the GIL serialises Python anyway, so
    /// `workers` (the subprocess bridge's process count) does not apply.</summary>
    public IReadOnlyList<ReferenceAnswer> Run(IReadOnlyList<string> caseDirs, int workers = 2)
    {
        var module = modules.GetOrAdd(Path.GetFullPath(script), path => new Lazy<PyObject>(() => Load(path), LazyThreadSafetyMode.ExecutionAndPublication)).Value;
        return caseDirs.Select(dir => ReferenceAnswer.Parse(AnswerJson(module, dir), dir)).ToList();
    }

    static string AnswerJson(PyObject module, string caseDir)
    {
        using (Py.GIL())
        {
            try
            {
                using var dir = new PyString(caseDir);
                using var json = module.InvokeMethod("answer_json", dir);
                return json.As<string>();
            }
            catch (PythonException e)
            {
                throw new ReferenceException($"the python reference failed on {caseDir}: {e.Type.Name}: {e.Message}");
            }
        }
    }

    /// <summary>Imports the script from its file (importlib, so which run_case.py answers does not
    /// depend on sys.path); a numpy that does not import is a missing dependency.</summary>
    static PyObject Load(string path)
    {
        var library = EmbeddedPython.EnsureStarted();
        if (!File.Exists(path)) throw new ReferenceException($"the python reference script {path} was not found (is LRBS_HOME the repository?)");
        using (Py.GIL())
        {
            try
            {
                using var util = Py.Import("importlib.util");
                using var spec = util.InvokeMethod("spec_from_file_location", new PyString("run_case"), new PyString(path));
                var module = util.InvokeMethod("module_from_spec", spec);
                using var loader = spec.GetAttr("loader");
                loader.InvokeMethod("exec_module", module).Dispose();
                return module;
            }
            catch (PythonException e) when (e.Type.Name == "ModuleNotFoundError" && e.Message.Contains("'numpy'"))
            {
                using var sys = Py.Import("sys");
                throw new ReferenceException($"the python reference needs numpy, which {library} cannot import (sys.path {sys.GetAttr("path")}): {NumpyHint}, or set LRBS_LIBPYTHON to a libpython whose install has numpy", missingDependency: true);
            }
            catch (PythonException e)
            {
                throw new ReferenceException($"the python reference could not load {path}: {e.Type.Name}: {e.Message}");
            }
        }
    }
}
