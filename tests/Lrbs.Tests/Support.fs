/// Helpers shared by the test fixtures.
module Lrbs.Tests.Support

open System
open System.IO
open NUnit.Framework
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Optimizers
open Lrbs.Core.Training

/// Runs once before any test touches the engine, as the host does at start-up; the decoded-data
/// cache of the whole run (and of the lrbs processes tests start) is a temporary folder, so the
/// tests never fill the user's ~/.cache/lrbs.
[<SetUpFixture>]
type EngineSetup() =
    let cache = Path.Combine(Path.GetTempPath(), "lrbs-test-cache-" + Guid.NewGuid().ToString("N"))

    [<OneTimeSetUp>]
    member _.ConfigureThreads() =
        ThreadEnvironment.configure 1
        Environment.SetEnvironmentVariable("LRBS_CACHE", cache)

    [<OneTimeTearDown>]
    member _.RemoveCache() =
        if Directory.Exists cache then
            Directory.Delete(cache, true)

/// |a - b| <= atol + rtol |b| element-wise, with the worst offender in the message.
let assertAllClose (rtol: float) (atol: float) (expected: float[]) (actual: float[]) =
    Assert.That(actual.Length, Is.EqualTo expected.Length, "lengths differ")
    let worst = Array.map2 (fun e a -> abs (a - e) - (atol + rtol * abs e)) expected actual |> Array.indexed |> Array.maxBy snd
    let i, excess = worst

    if excess > 0.0 then
        Assert.Fail($"element {i}: expected {expected[i]}, got {actual[i]} (rtol {rtol}, atol {atol})")

/// NUnit 4 moved StringAssert to Legacy; this keeps the readable form.
type StringAssert =
    static member Contains(fragment: string, text: string) = Assert.That(text, Does.Contain fragment)

/// Structural equality for arrays, lists and tuples, with both values in the message.
let assertEq (expected: 'T) (actual: 'T) =
    if actual <> expected then
        Assert.Fail($"expected %A{expected}\nactual   %A{actual}")

/// A fresh temporary folder, deleted when disposed.
type TempDir() =
    let path = Path.Combine(Path.GetTempPath(), "lrbs-test-" + Guid.NewGuid().ToString("N"))
    do Directory.CreateDirectory path |> ignore
    member _.Path = path
    member _.File(name: string) = Path.Combine(path, name)

    interface IDisposable with
        member _.Dispose() =
            try
                Directory.Delete(path, true)
            with _ ->
                ()

let fashionMnistAvailable () = File.Exists(Path.Combine(Lrbs.Core.Data.Registry.fashionMnistDir, "train-images-idx3-ubyte.gz"))

/// A trial from key = value pairs (the builder's errors fail the test).
let trial (fields: (string * string) list) =
    match TrialConfig.build fields with
    | Ok c -> c
    | Error e -> failwithf "%A" e

/// The data of a trial (errors fail the test).
let prepared (c: TrialConfig) =
    match Trainer.prepare c with
    | Ok d -> d
    | Error e -> failwithf "%A" e

let optimizer name =
    match OptimizerSpec.ofName name with
    | Ok o -> o
    | Error e -> failwith e

/// One member (seed 0) of a model on the engine.
let network (spec: ModelSpec) (loss: Loss) (opt: string) = Network.Create(spec, loss, optimizer opt, [| 0UL |], true)

/// Runs the training step on a batch given in the engine's layout (N, C, H, W) or (N, F).
let stepOn (net: Network) (xShape: int64[]) (x: float32[]) (y: Tensor) (lr: float) =
    use _ = new Scope()
    Step.run net { X = T.ofFloat32 xShape x; Y = y; Order = None } 0 (int xShape[0]) (Array.create net.Members lr) 0

/// Outputs of member 0 on a batch in the engine's layout.
let predict (net: Network) (xShape: int64[]) (x: float32[]) =
    use _ = new Scope()
    (net.Predict(T.ofFloat32 xShape x)).ToArray()

/// Runs `f` (given the folder) with LRBS_CACHE (the decoded-data cache) set to a fresh temporary folder.
let withCache (f: string -> 'T) : 'T =
    use cache = new TempDir()
    let previous = Environment.GetEnvironmentVariable "LRBS_CACHE"
    Environment.SetEnvironmentVariable("LRBS_CACHE", cache.Path)

    try
        f cache.Path
    finally
        Environment.SetEnvironmentVariable("LRBS_CACHE", previous)

/// The results folders committed to git (results/NAME with trial parts in the index): a reader's
/// own study run under results/ beside them (the README's first study) is not one of them.
let committedResultFiles () =
    let root = Lrbs.Core.Data.Registry.repositoryRoot ()

    let psi =
        System.Diagnostics.ProcessStartInfo("git", "ls-files -- results", RedirectStandardOutput = true, WorkingDirectory = root)

    use p = System.Diagnostics.Process.Start psi
    let files = p.StandardOutput.ReadToEnd().Split('\n', System.StringSplitOptions.RemoveEmptyEntries)
    p.WaitForExit()
    files

let committedResultFolders () =
    let root = Lrbs.Core.Data.Registry.repositoryRoot ()

    committedResultFiles ()
    |> Array.choose (fun f ->
        match f.Split('/') with
        | [| "results"; name; "trials"; _ |] -> Some name
        | _ -> None)
    |> Array.distinct
    |> Array.sort
    |> Array.map (fun name -> Path.Combine(root, "results", name))
