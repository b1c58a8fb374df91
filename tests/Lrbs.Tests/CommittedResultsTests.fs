/// The results committed under results/ came from committed code: no trial, table or report
/// there names a dirty tree (code_version "...-dirty").
module Lrbs.Tests.CommittedResultsTests

open System.IO
open NUnit.Framework

let private results = Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), "results")

[<Test>]
let ``every committed trial, table and report names a clean code version`` () =
    let folders = Lrbs.Tests.Support.committedResultFolders ()
    Assert.That(folders.Length, Is.GreaterThanOrEqualTo 6, "the committed studies")

    for folder in folders do
        let versions =
            Lrbs.Host.Storage.ResultsReader.Query(folder, "SELECT DISTINCT code_version FROM trials").Rows
            |> Seq.map (fun r -> r[0])
            |> List.ofSeq

        Assert.That(versions, Is.Not.Empty, folder)

        for v in versions do
            Assert.That(v, Does.Not.EndWith "-dirty", $"{Path.GetFileName folder}: trials from a dirty tree")

    let texts =
        Lrbs.Tests.Support.committedResultFiles ()
        |> Array.map (fun f -> Path.Combine(Lrbs.Core.Data.Registry.repositoryRoot (), f))
        |> Array.filter (fun f -> (f.EndsWith ".txt" || f.EndsWith ".md") && File.Exists f)

    for f in texts do
        Assert.That(File.ReadAllText f, Does.Not.Contain "-dirty", Path.GetRelativePath(results, f))
