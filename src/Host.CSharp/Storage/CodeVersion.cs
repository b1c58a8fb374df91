namespace Lrbs.Host.Storage;

/// <summary>The code version recorded with every trial: the git commit, with "-dirty" when the
/// tracked code (results/ aside) has uncommitted changes, so that results never pass for the
/// output of a commit that did not make them.</summary>
public static class CodeVersion
{
    public static readonly string Current = Of(Lrbs.Core.Data.Registry.repositoryRoot());

    /// <summary>The version of the checkout at `root`: COMMIT, COMMIT-dirty, or unknown.</summary>
    public static string Of(string root)
    {
        var commit = Git(root, "rev-parse", "--short=12", "HEAD");
        if (commit is null) return "unknown";
        var changes = Git(root, "status", "--porcelain", "--", ".", ":(exclude)results");
        return changes is null ? commit + "-unknown" : changes.Length > 0 ? commit + "-dirty" : commit;
    }

    static string? Git(string root, params string[] args)
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var text = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception) { return null; }
    }
}
