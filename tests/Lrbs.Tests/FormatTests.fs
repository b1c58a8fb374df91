/// The tree is formatted as .editorconfig and .clang-format say: Fantomas (F#), `dotnet format
/// whitespace` (C#) and clang-format (src/Native) each report nothing to change. A failure names
/// the files; scripts/format.sh formats them.
module Lrbs.Tests.FormatTests

open System.Diagnostics
open System.IO
open NUnit.Framework

let private root = Lrbs.Core.Data.Registry.repositoryRoot ()

/// Runs a tool in the repository root; its exit code and everything it printed.
let private run (file: string) (args: string list) =
    let info =
        ProcessStartInfo(file, args, WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true)

    use p = Process.Start info
    let out = p.StandardOutput.ReadToEndAsync()
    let err = p.StandardError.ReadToEndAsync()
    p.WaitForExit()
    p.ExitCode, out.Result + err.Result

let private nativeFiles () =
    [
        for ext in [ "*.cpp"; "*.h" ] do
            yield! Directory.GetFiles(Path.Combine(root, "src", "Native"), ext, SearchOption.AllDirectories)
    ]
    |> List.filter (fun f -> not (f.Contains $"{Path.DirectorySeparatorChar}build{Path.DirectorySeparatorChar}"))
    |> List.map (fun f -> Path.GetRelativePath(root, f))

[<Test>]
let ``the F# sources are formatted by Fantomas`` () =
    let code, text = run "dotnet" [ "tool"; "run"; "fantomas"; "--check"; "src/Core.FSharp"; "tests/Lrbs.Tests" ]
    Assert.That(code, Is.EqualTo 0, $"Fantomas would change these (run scripts/format.sh):\n{text}")

[<Test>]
let ``the C# sources are formatted as dotnet format whitespace leaves them`` () =
    let code, text = run "dotnet" [ "format"; "whitespace"; "Hybrid.sln"; "--verify-no-changes" ]
    let csharp = text.Split('\n') |> Array.filter (fun l -> l.Contains "WHITESPACE") |> String.concat "\n"
    Assert.That(code, Is.EqualTo 0, $"dotnet format would change these (run scripts/format.sh):\n{csharp}")

[<Test>]
let ``the native sources are formatted by clang-format`` () =
    let files = nativeFiles ()
    Assert.That(files.Length, Is.GreaterThan 20, "the native sources are found")
    let code, text = run "clang-format" ([ "--dry-run"; "--Werror" ] @ files)
    Assert.That(code, Is.EqualTo 0, $"clang-format would change these (run scripts/format.sh):\n{text}")
