/// Mid-trial checkpoints: the file format, resuming bit for bit (SGD with momentum and Adam,
/// alone and packed, with dropout), and the sweep's use of them after a kill -9.
module Lrbs.Tests.CheckpointTests

open System
open System.IO
open System.Threading
open FsCheck
open FsCheck.FSharp
open NUnit.Framework
open Lrbs.Core.Models
open Lrbs.Core.Schedules
open Lrbs.Core.Training
open Lrbs.Tests.Support
open Lrbs.Host.Storage

/// A small MLP with dropout, so the dropout generators' state matters.
let private dropoutModel =
    ModelFile.toJson
        {
            Name = "mlp-dropout"
            Layers = [ Layer.Flatten; Layer.Dense(32, Activation.Relu); Layer.Dropout 0.3; Layer.Dense(10, Activation.Softmax) ]
        }

let private configs (opt: string) (members: (string * string) list) =
    [|
        for lr, seed in members ->
            trial (
                [
                    "dataset", "mnist"
                    "model", dropoutModel
                    "optimizer", opt
                    "lr", lr
                    "seed", seed
                    "max_epochs", "4"
                    "batch_size", "32"
                    "train_limit", "640"
                ]
                @ (if opt = "sgd" then [ "momentum", "0.9" ] else [])
            )
    |]

exception private Killed

/// Per-step losses of each member and the results of a run through the production trainer.
let private runWith (checkpointing: Checkpointing) (cs: TrialConfig[]) data =
    let losses = Array.init cs.Length (fun _ -> ResizeArray<float>())

    let progress =
        { Progress.None with
            OnStepLosses = Some(fun members values -> Array.iter2 (fun m v -> losses[m].Add v) members values)
        }

    let results =
        try
            Some(Trainer.runPackWith checkpointing cs data progress)
        with Killed ->
            None

    results, losses |> Array.map List.ofSeq

let private bits (xs: float list) = xs |> List.map BitConverter.DoubleToInt64Bits

/// members 3: seeds 1, 2, 1 (each member its own batches); members 2: one seed (shared batches).
[<TestCase("sgd", 1)>]
[<TestCase("sgd", 2)>]
[<TestCase("sgd", 3)>]
[<TestCase("adam", 1)>]
[<TestCase("adam", 2)>]
[<TestCase("adam", 3)>]
let ``a run killed after epoch 2 and resumed from its checkpoint files goes on bit for bit`` (opt: string, members: int) =
    let lrs = if opt = "sgd" then [ "0.01"; "0.05"; "0.1" ] else [ "0.001"; "0.003"; "0.01" ]
    let seeds = if members = 2 then [ "1"; "1" ] else [ "1"; "2"; "1" ]
    let cs = configs opt (List.zip (List.take seeds.Length lrs) seeds |> List.take members)
    let data = prepared cs[0]
    let full, fullLosses = runWith Checkpointing.None cs data
    // the first run saves every epoch and dies right after the last member's save of epoch 2
    let saved = Collections.Generic.Dictionary<int, byte[]>()

    let save (states: MemberState[]) =
        states |> Array.iteri (fun i s -> saved[i] <- Checkpoint.toBytes "v1" s)

        if states[0].Epoch = 2 then
            raise Killed

    let killed, killedLosses = runWith { Checkpointing.None with Every = 1; Start = [||]; Save = save } cs data
    Assert.That(killed, Is.EqualTo None, "the first run was killed")
    let states = cs |> Array.mapi (fun i c -> Checkpoint.ofBytes "v1" (TrialConfig.id c) saved[i] |> Result.toOption)
    Assert.That(states |> Array.forall (fun s -> s.IsSome && s.Value.Epoch = 2), "every member saved epoch 2")
    let resumed, resumedLosses = runWith { Checkpointing.None with Every = 1; Start = states; Save = ignore } cs data

    for k in 0 .. cs.Length - 1 do
        let stepsPerEpoch = fullLosses[k].Length / 4
        // the killed run's first two epochs, then the resumed run's last two: every step's loss, to the bit
        assertEq (bits fullLosses[k]) (bits (List.take (2 * stepsPerEpoch) killedLosses[k] @ resumedLosses[k]))
        let f, r = full.Value[k], resumed.Value[k]
        let outcome (e: EpochRecord) = e.Epoch, e.TrainLoss, e.TrainMetric, e.TestLoss, e.TestMetric, e.Lr
        assertEq (f.Epochs |> List.map outcome) (r.Epochs |> List.map outcome)
        Assert.That(r.Steps, Is.EqualTo f.Steps)
        Assert.That(r.ResumedEpochs, Is.EqualTo 2)
        Assert.That(f.ResumedEpochs, Is.EqualTo 0)
        Assert.That(r.PackSize, Is.EqualTo cs.Length)

[<Test>]
let ``a pack resumes only when every member saved at the same epoch`` () =
    let cs = configs "adam" [ "0.001", "1"; "0.003", "2" ]
    let data = prepared cs[0]
    let saved = Collections.Generic.Dictionary<int * int, MemberState>()

    let save (states: MemberState[]) =
        states |> Array.iteri (fun i s -> saved[(i, s.Epoch)] <- s)

        if states[0].Epoch = 2 then
            raise Killed

    runWith { Checkpointing.None with Every = 1; Start = [||]; Save = save } cs data |> ignore
    let mixed = [| Some saved[(0, 1)]; Some saved[(1, 2)] |]

    let e =
        Assert.Throws<ArgumentException>(fun () ->
            Trainer.runPackWith { Checkpointing.None with Every = 1; Start = mixed; Save = ignore } cs data Progress.None |> ignore)

    StringAssert.Contains("same point", e.Message)
    let half = [| Some saved[(0, 2)]; None |]

    let e =
        Assert.Throws<ArgumentException>(fun () ->
            Trainer.runPackWith { Checkpointing.None with Every = 1; Start = half; Save = ignore } cs data Progress.None |> ignore)

    StringAssert.Contains("every member", e.Message)

let private stateGen =
    gen {
        let! epochs = Gen.choose (1, 4)
        let! trainLosses = Gen.arrayOfLength epochs (Gen.elements [ 0.5; nan; 1e-300; Double.Epsilon; 2.0 / 3.0 ])
        let! seeds = Gen.arrayOfLength 4 (Gen.choose (0, Int32.MaxValue))
        let! weights = Gen.arrayOfLength 3 (Gen.arrayOf (Gen.elements [ 0.1f; -0.0f; Single.NaN; 3.5e-38f ]))
        let! state = Gen.arrayOf (Gen.arrayOf (Gen.elements [ 1.0f; 1e-7f ]))
        let! dropout = Gen.arrayOf (Gen.choose (0, 255) |> Gen.map byte)
        let! pack = Gen.listOf (Gen.elements [ "a1"; "b2"; "ünï" ])
        let! noisy = Gen.elements [ true; false ]
        let! position = Gen.elements [ 0; 0; 17 ]

        return
            {
                TrialId = "0123abcd"
                Pack = pack
                Epochs =
                    [
                        for i, l in Array.indexed trainLosses ->
                            {
                                Epoch = i + 1
                                TrainLoss = l
                                TrainMetric = 0.25
                                ValLoss = (if noisy then Some 0.75 else None)
                                ValMetric = None
                                TestLoss = l * 2.0
                                TestMetric = 0.125
                                Lr = 0.1 / float (i + 1)
                                BatchSize = 32
                                Steps = 20
                                Seconds = 1.5
                                TrainSeconds = 1.25
                                NoiseG2 = (if noisy then Some 1e-3 else None)
                                NoiseTrace = None
                                NoiseBSimple = (if noisy then Some 42.0 else None)
                            }
                    ]
                Steps = 20 * epochs
                Position = position
                Schedule = { Lr = 0.05; BatchSize = 64; Best = infinity; Wait = 2; Cooldown = 1 }
                Noise = { G2 = 0.5; Trace = 1.5; Weight = 0.9; Samples = 7 }
                Seconds = 12.25
                Shuffle = seeds |> Array.map (fun s -> uint64 s * 0x9E3779B97F4A7C15UL)
                OptimizerSteps = int64 (20 * epochs)
                Weights = weights
                OptimizerState = state
                Dropout = dropout
            }
    }

/// Structural equality, NaNs compared by their bits.
let private same (a: MemberState) (b: MemberState) =
    let f32 (xs: float32[][]) = xs |> Array.map (Array.map BitConverter.SingleToInt32Bits)
    let f64 (es: EpochRecord list) = es |> List.map (fun e -> BitConverter.DoubleToInt64Bits e.TrainLoss, { e with TrainLoss = 0.0; TestLoss = 0.0 })

    f32 a.Weights = f32 b.Weights
    && f32 a.OptimizerState = f32 b.OptimizerState
    && f64 a.Epochs = f64 b.Epochs
    && { a with Weights = [||]; OptimizerState = [||]; Epochs = [] } = { b with Weights = [||]; OptimizerState = [||]; Epochs = [] }

[<FsCheck.NUnit.Property(MaxTest = 50)>]
let ``a checkpoint file round-trips every field exactly`` () =
    Prop.forAll (Arb.fromGen stateGen) (fun s ->
        match Checkpoint.toBytes "abc123" s |> Checkpoint.ofBytes "abc123" s.TrialId with
        | Ok back -> same s back
        | Error e -> failwith e)

[<FsCheck.NUnit.Property(MaxTest = 30)>]
let ``a truncated or damaged checkpoint never reads`` () =
    Prop.forAll (Arb.fromGen (Gen.zip stateGen (Gen.choose (0, 1000)))) (fun (s, cut) ->
        let bytes = Checkpoint.toBytes "abc123" s
        let truncated = bytes[.. (cut % bytes.Length) - 1]
        let damaged = Array.copy bytes
        damaged[cut % bytes.Length] <- damaged[cut % bytes.Length] ^^^ 0x10uy

        Result.isError (Checkpoint.ofBytes "abc123" s.TrialId truncated)
        && Result.isError (Checkpoint.ofBytes "abc123" s.TrialId damaged))

[<Test>]
let ``a checkpoint of another code version or another trial is refused, saying which`` () =
    let s = Gen.sample 1 stateGen |> Seq.head
    let bytes = Checkpoint.toBytes "abc123" s

    match Checkpoint.ofBytes "def456" s.TrialId bytes with
    | Error e -> StringAssert.Contains("written by code version abc123, this is def456", e)
    | Ok _ -> Assert.Fail "another code version's checkpoint was read"

    match Checkpoint.ofBytes "abc123" "ffff0000" bytes with
    | Error e -> StringAssert.Contains("belongs to trial 0123abcd", e)
    | Ok _ -> Assert.Fail "another trial's checkpoint was read"

    match Checkpoint.ofBytes "abc123" s.TrialId bytes[..20] with
    | Error e -> StringAssert.Contains("truncated", e)
    | Ok _ -> Assert.Fail "a truncated checkpoint was read"

/// A packed sweep of two trials that trains for a few seconds.
let private packedSweep (out: string) =
    $"""name: ckpt
dataset: mnist
model: mlp-100-50
optimizer: adam
train_limit: 3000
grid:
  lr: [0.001, 0.003]
batch_size: 20
stopping:
  max_epochs: 10
pack: true
out: {out}
"""

let private epochRows (out: string) =
    (ResultsReader.Query(
        out,
        "SELECT trial_id, epoch, CAST(train_loss AS VARCHAR), CAST(test_loss AS VARCHAR), CAST(test_metric AS VARCHAR) FROM epochs ORDER BY 1, 2"
    ))
        .Rows
    |> Seq.map (String.concat " ")
    |> List.ofSeq

[<Test>]
let ``a packed sweep killed with SIGKILL mid-trial resumes from its checkpoints, bit for bit, and removes them on commit`` () =
    use tmp = new TempDir()
    let reference = Path.Combine(tmp.Path, "reference")
    // one worker: both trials in one pack of 2 (with 2 workers each would train alone)
    let code, _, err = CliTests.run [ "sweep"; "run"; SweepTests.writeSweep tmp (packedSweep reference); "--workers"; "1" ]
    Assert.That(code, Is.EqualTo 0, err)
    let out = Path.Combine(tmp.Path, "out")
    let f = SweepTests.writeSweep tmp (packedSweep out)
    let ids = SweepTests.planIds f
    let epochOf id = CheckpointStore.FilesIn(out, id) |> Seq.map (fun struct (e, _) -> e) |> Seq.fold max 0
    use child = SweepTests.startHost [ "sweep"; "run"; f; "--workers"; "1" ]
    let deadline = DateTime.UtcNow.AddSeconds 120.0

    while not (ids |> Seq.forall (fun id -> epochOf id >= 2)) && DateTime.UtcNow < deadline && not child.HasExited do
        Thread.Sleep 20

    Assert.That(child.HasExited, Is.False, "the sweep finished before it could be killed")
    child.Kill() // SIGKILL; its worker dies with it
    child.WaitForExit()
    Assert.That(SweepTests.committed out, Is.Empty, "killed mid-trial")
    let code, output, err = CliTests.run [ "sweep"; "run"; f; "--workers"; "1" ]
    Assert.That(code, Is.EqualTo 0, err)
    StringAssert.Contains("resuming 2 trials from their checkpoints", output)
    StringAssert.Contains("(resumed after epoch", output)
    assertEq (epochRows reference) (epochRows out)
    let resumed = ResultsReader.Query(out, "SELECT min(resumed_epochs), max(pack_size) FROM trials").Rows[0]
    Assert.That(int resumed[0], Is.GreaterThanOrEqualTo 2, "both trials resumed mid-way")
    Assert.That(resumed[1], Is.EqualTo "2")
    Assert.That(Directory.GetFiles(Path.Combine(out, "checkpoints")), Is.Empty, "checkpoints go when their trials commit")

[<Test>]
let ``a checkpoint that does not read is a warning and its trial starts again from epoch 0`` () =
    use tmp = new TempDir()
    let out = Path.Combine(tmp.Path, "out")
    let f = SweepTests.writeSweep tmp (SweepTests.sweepYaml out 1)
    let victim = SweepTests.planIds f |> Seq.head
    Directory.CreateDirectory(Path.Combine(out, "checkpoints")) |> ignore
    File.WriteAllBytes(Path.Combine(out, "checkpoints", victim + ".e1.ckpt"), Text.Encoding.ASCII.GetBytes "LRBSCKPT truncated")
    let code, output, err = CliTests.run [ "sweep"; "run"; f ]
    Assert.That(code, Is.EqualTo 0, err)
    let file = Path.Combine(out, "checkpoints", victim + ".e1.ckpt")
    StringAssert.Contains($"warning: checkpoint {file} is not used", output + err)
    StringAssert.Contains($"trial {victim} starts again from epoch 0", output + err)
    let row = ResultsReader.Query(out, $"SELECT resumed_epochs, status FROM trials WHERE trial_id = '{victim}'").Rows[0]
    assertEq [| "0"; "ok" |] row
    Assert.That(File.Exists file, Is.False)

[<TestCase("0")>]
[<TestCase("-1")>]
let ``a checkpoint interval below 1 epoch exits 2 naming the option`` (every: string) =
    use tmp = new TempDir()
    let f = SweepTests.writeSweep tmp (SweepTests.sweepYaml (Path.Combine(tmp.Path, "out")) 1)
    let code, _, err = CliTests.run [ "sweep"; "run"; f; "--checkpoint-every"; every ]
    Assert.That(code, Is.EqualTo 2)
    StringAssert.Contains($"--checkpoint-every: expected a whole number of epochs >= 1, got {every}", err)

[<Test>]
let ``a pack killed between two members' saves resumes from the epoch all its members saved`` () =
    let s = Gen.sample 1 stateGen |> Seq.head
    let at (id: string) (epoch: int) = { s with TrialId = id; Pack = [ "a"; "b" ]; Epochs = List.init epoch (fun i -> { s.Epochs.Head with Epoch = i + 1 }) }
    let saved = dict [ "a", [ at "a" 3; at "a" 2 ]; "b", [ at "b" 2 ]; "c", [] ]
    let points = CheckpointStore.ResumePoints([ "a"; "b"; "c" ], fun id -> saved[id] :> Collections.Generic.IReadOnlyList<_>)
    Assert.That(points["a"].Epoch, Is.EqualTo 2)
    Assert.That(points["b"].Epoch, Is.EqualTo 2)
    Assert.That(points["c"], Is.Null)
    // a member of the pack that committed meanwhile does not hold the others back
    let alone = CheckpointStore.ResumePoints([ "a" ], fun id -> saved[id] :> Collections.Generic.IReadOnlyList<_>)
    Assert.That(alone["a"].Epoch, Is.EqualTo 3)
