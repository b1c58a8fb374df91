/// Branches of a reference run (TrialConfig.BranchPoint, Merrill et al. 2025 §3.1): the reference
/// run saves its state at branch points inside and at the end of an epoch, a branch starts from
/// that state through the checkpoint file format, and a branch at the reference batch size is
/// the reference run's own continuation, step by step, to the bit.
module Lrbs.Tests.BranchTests

open System
open NUnit.Framework
open Lrbs.Core.Training
open Lrbs.Tests.Support

/// 640 MNIST rows at batch 32: 20 steps an epoch; Adam, so that its step count t carries over.
let private keys =
    [
        "dataset", "mnist"
        "optimizer", "adam"
        "lr", "0.003"
        "seed", "3"
        "max_epochs", "3"
        "batch_size", "32"
        "train_limit", "640"
    ]

let private reference = trial keys

let private branch (at: string) (batch: int) (window: string) extra =
    trial (
        (keys |> List.filter (fun (k, _) -> k <> "batch_size"))
        @ [ "batch_size", string batch; "branch_at", at; "branch_batch", "32"; "branch_window", window ]
        @ extra
    )

/// Per-step losses (of the one member) and the result of a run through the production trainer.
let private run (checkpointing: Checkpointing) (c: TrialConfig) data =
    let losses = ResizeArray<float>()

    let progress = { Progress.None with OnStepLosses = Some(fun _ values -> losses.Add values[0]) }

    let r = (Trainer.runPackWith checkpointing [| c |] data progress)[0]
    r, List.ofSeq losses

let private bits (xs: float list) = xs |> List.map BitConverter.DoubleToInt64Bits

/// The reference run with its states saved at `steps`, each read back through the file format.
let private referenceRun (steps: int list) data =
    let saved = Collections.Generic.Dictionary<int, MemberState>()

    let save (states: MemberState[]) =
        let bytes = Checkpoint.toBytes "v1" states[0]

        match Checkpoint.ofBytes "v1" (TrialConfig.id reference) bytes with
        | Ok s -> saved[s.Steps] <- s
        | Error e -> Assert.Fail e

    let r, losses = run { Checkpointing.None with BranchSteps = Set.ofList steps; SaveBranch = save } reference data
    r, losses, saved

[<Test>]
let ``a branch at the reference batch size is the reference run's continuation bit for bit, from inside an epoch and from its end`` () =
    let data = prepared reference
    let full, fullLosses, saved = referenceRun [ 10; 20 ] data
    assertEq [ 10; 20 ] (saved.Keys |> Seq.sort |> List.ofSeq)
    Assert.That(saved[10].Position, Is.EqualTo 320, "half of epoch 1's 640 rows")
    Assert.That(saved[20].Position, Is.EqualTo 0, "the end of epoch 1")

    for at, step in [ "0.5", 10; "1", 20 ] do
        let b = branch at 32 "1" []
        let r, losses = run { Checkpointing.None with Start = [| Some saved[step] |] } b data
        // 20 steps from the branch point, each the reference run's own
        assertEq (bits fullLosses[step .. step + 19]) (bits losses)
        Assert.That(r.Steps, Is.EqualTo 20)
        Assert.That(r.StopReason, Is.EqualTo(Some StopReason.WindowEnd))
        Assert.That(r.Status, Is.EqualTo TrialStatus.Ok)

    // from the end of epoch 1 a window of 1 ends where epoch 2 does: the same evaluation, to the bit
    let r, _ = run { Checkpointing.None with Start = [| Some saved[20] |] } (branch "1" 32 "1" []) data
    assertEq [ 2 ] (r.Epochs |> List.map (fun e -> e.Epoch))
    let e2 = full.Epochs[1]
    assertEq (bits [ e2.TrainLoss; e2.TestLoss; e2.TestMetric ]) (bits [ r.Epochs[0].TrainLoss; r.Epochs[0].TestLoss; r.Epochs[0].TestMetric ])

[<Test>]
let ``a branch at a larger batch trains its window of examples from the branch point, in the reference run's epochs`` () =
    let data = prepared reference
    let _, _, saved = referenceRun [ 10 ] data

    let r, _ =
        run { Checkpointing.None with Start = [| Some saved[10] |] } (branch "0.5" 64 "1" [ "scaling", "sqrt"; "base_batch", "32" ]) data
    // rows 320..640 of epoch 1 (5 steps of 64), then rows 0..320 of epoch 2 (5 more)
    assertEq [ 1, 5, 64; 2, 5, 64 ] (r.Epochs |> List.map (fun e -> e.Epoch, e.Steps, e.BatchSize))
    Assert.That(r.Steps, Is.EqualTo 10)
    Assert.That(r.Epochs[0].Lr, Is.EqualTo(0.003 * sqrt 2.0).Within(1e-15), "the sqrt rule from the reference batch size")
    Assert.That(r.ResumedEpochs, Is.EqualTo 0)

[<Test>]
let ``a branch refuses a state that is not its reference run's at its branch point`` () =
    let data = prepared reference
    let _, _, saved = referenceRun [ 10; 20 ] data

    let e =
        Assert.Throws<ArgumentException>(fun () -> run { Checkpointing.None with Start = [| Some saved[20] |] } (branch "0.5" 64 "1" []) data |> ignore)

    StringAssert.Contains("step 10", e.Message)

    let e = Assert.Throws<ArgumentException>(fun () -> run Checkpointing.None (branch "0.5" 64 "1" []) data |> ignore)

    StringAssert.Contains("reference run's state", e.Message)

let private errorsOf (fields: (string * string) list) =
    match TrialConfig.build fields with
    | Ok _ -> []
    | Error es -> es |> List.map (fun e -> e.Field)

[<Test>]
let ``a branch outside its reference run, with no window, or beside a schedule or another base batch is refused naming the key`` () =
    let withBranch at window extra =
        (keys |> List.filter (fun (k, _) -> k <> "batch_size"))
        @ [ "batch_size", "64"; "branch_at", at; "branch_batch", "32"; "branch_window", window ]
        @ extra

    assertEq [ "branch_at" ] (errorsOf (withBranch "3" "1" []))
    assertEq [ "branch_at" ] (errorsOf (withBranch "0" "1" []))
    assertEq [ "branch_window" ] (errorsOf (withBranch "1" "0" []))
    assertEq [ "branch_window" ] (errorsOf (withBranch "1" "4" []))
    assertEq [ "schedule" ] (errorsOf (withBranch "1" "1" [ "schedule", "step:0.5:1" ]))
    assertEq [ "base_batch" ] (errorsOf (withBranch "1" "1" [ "scaling", "linear"; "base_batch", "16" ]))
    assertEq [ "branch_batch" ] (errorsOf (keys @ [ "branch_at", "1" ]))

    let big = branch "1" 64 "1" []

    match Trainer.prepare { big with Branch = Some { big.Branch.Value with ParentBatch = 1000 } } with
    | Error [ e ] -> Assert.That(e.Field, Is.EqualTo "branch_batch")
    | Error es -> Assert.Fail $"%A{es}"
    | Ok _ -> Assert.Fail "a reference batch of 1000 on 640 rows was prepared"

[<Test>]
let ``a branch's id covers its reference run, its point and its window, and rebuilds from its canonical text`` () =
    let b = branch "0.5" 64 "1" [ "scaling", "sqrt"; "base_batch", "32" ]
    let ids = [ b; branch "0.25" 64 "1" []; branch "0.5" 64 "2" []; reference ] |> List.map TrialConfig.id
    Assert.That(List.distinct ids, Has.Length.EqualTo 4)
    Assert.That(TrialConfig.reference b |> Option.map TrialConfig.id, Is.EqualTo(Some(TrialConfig.id reference)))

    match TrialConfig.fieldsOfCanonical (TrialConfig.canonical b) |> Result.bind TrialConfig.build with
    | Ok rebuilt -> Assert.That(TrialConfig.id rebuilt, Is.EqualTo(TrialConfig.id b))
    | Error e -> Assert.Fail $"%A{e}"
