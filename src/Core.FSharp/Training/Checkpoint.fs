namespace Lrbs.Core.Training

open System
open System.IO
open System.Security.Cryptography
open Lrbs.Core.Schedules

/// Everything one member of a run needs to go on from the end of an epoch (or from a branch point
/// inside one) exactly as if it had never stopped: its finished epochs (the stopping rule reads them), its counters and schedule
/// state, the state of its random streams, and the engine's state (weights, optimizer state).
type MemberState =
    {
        TrialId: string
        /// The trials of the pack at the time of the save, in the net's member order: a resumed
        /// pack of exactly these continues bit for bit (a pack's members are only close to the
        /// same trials alone).
        Pack: string list
        Epochs: EpochRecord list
        Steps: int
        /// Rows of the current epoch already trained: 0 at an epoch's end; inside an epoch (a
        /// branch point), where `Shuffle` holds the stream's state before this epoch's order was
        /// drawn, so that the order is drawn again and training goes on from this row.
        Position: int
        Schedule: ScheduleState
        Noise: NoiseEma
        /// Seconds spent so far (the result's wall time goes on from here).
        Seconds: float
        /// The shuffle generator's state (xoshiro256**).
        Shuffle: uint64[]
        /// The engine's optimizer step count (Adam's t), shared by a pack's members.
        OptimizerSteps: int64
        /// Every weight array in Keras's order, the moving statistics too.
        Weights: float32[][]
        /// Per trainable array, per state slot of the optimizer: its state in Keras's layout.
        OptimizerState: float32[][]
        /// The member's dropout generator (libtorch's CPU generator state).
        Dropout: byte[]
    }

    member s.Epoch = s.Epochs.Length

/// How a run saves its members' states and where they start: every `Every` epochs the states
/// of the members still training are saved together through `Save` (a pack's members in the
/// net's order, all at the same epoch); `Start` holds each member's saved state, or None to
/// start at epoch 0. A pack resumes only when all its members start from the same epoch.
///
/// A reference run of a branched study also saves its members' states at `BranchSteps` (steps
/// counted from the start, an epoch's end or a step inside it) through `SaveBranch`; its branches
/// start from those states (a branch's `Start` holds its reference run's state).
type Checkpointing =
    {
        Every: int
        Start: MemberState option[]
        Save: MemberState[] -> unit
        BranchSteps: Set<int>
        SaveBranch: MemberState[] -> unit
    }

    static member None = { Every = Int32.MaxValue; Start = [||]; Save = ignore; BranchSteps = Set.empty; SaveBranch = ignore }

/// The checkpoint file: a header (format, code version, trial), the member's state, and a
/// SHA-256 of all that before it, so a truncated or damaged file is told from a good one.
module Checkpoint =
    let private magic = "LRBSCKPT"
    let private format = 2

    let private writeArray (w: BinaryWriter) (write: 'a -> unit) (xs: 'a[]) =
        w.Write xs.Length
        Array.iter write xs

    let private readArray (r: BinaryReader) (read: unit -> 'a) =
        let n = r.ReadInt32()

        if n < 0 || n > (1 <<< 30) then
            raise (InvalidDataException $"array length {n}")

        Array.init n (fun _ -> read ())

    let private writeOption (w: BinaryWriter) (x: float option) =
        w.Write x.IsSome
        w.Write(defaultArg x 0.0)

    let private readOption (r: BinaryReader) =
        let some = r.ReadBoolean()
        let v = r.ReadDouble()
        if some then Some v else None

    let private writeEpoch (w: BinaryWriter) (e: EpochRecord) =
        w.Write e.Epoch
        w.Write e.TrainLoss
        w.Write e.TrainMetric
        writeOption w e.ValLoss
        writeOption w e.ValMetric
        w.Write e.TestLoss
        w.Write e.TestMetric
        w.Write e.Lr
        w.Write e.BatchSize
        w.Write e.Steps
        w.Write e.Seconds
        w.Write e.TrainSeconds
        writeOption w e.NoiseG2
        writeOption w e.NoiseTrace
        writeOption w e.NoiseBSimple

    let private readEpoch (r: BinaryReader) : EpochRecord =
        {
            Epoch = r.ReadInt32()
            TrainLoss = r.ReadDouble()
            TrainMetric = r.ReadDouble()
            ValLoss = readOption r
            ValMetric = readOption r
            TestLoss = r.ReadDouble()
            TestMetric = r.ReadDouble()
            Lr = r.ReadDouble()
            BatchSize = r.ReadInt32()
            Steps = r.ReadInt32()
            Seconds = r.ReadDouble()
            TrainSeconds = r.ReadDouble()
            NoiseG2 = readOption r
            NoiseTrace = readOption r
            NoiseBSimple = readOption r
        }

    let private writeFloats (w: BinaryWriter) (xs: float32[]) =
        w.Write xs.Length
        w.Write(Runtime.InteropServices.MemoryMarshal.AsBytes(ReadOnlySpan xs))

    let private readFloats (r: BinaryReader) =
        let n = r.ReadInt32()

        if n < 0 || n > (1 <<< 30) then
            raise (InvalidDataException $"array length {n}")

        let bytes = r.ReadBytes(n * 4)

        if bytes.Length <> n * 4 then
            raise (EndOfStreamException())

        let xs = Array.zeroCreate<float32> n
        Buffer.BlockCopy(bytes, 0, xs, 0, bytes.Length)
        xs

    /// The file's bytes for a member's state, written by code version `codeVersion`.
    let toBytes (codeVersion: string) (s: MemberState) : byte[] =
        use body = new MemoryStream()

        (use w = new BinaryWriter(body, Text.Encoding.UTF8, true)
         w.Write(Text.Encoding.ASCII.GetBytes magic)
         w.Write format
         w.Write codeVersion
         w.Write s.TrialId
         writeArray w (fun (p: string) -> w.Write p) (Array.ofList s.Pack)
         writeArray w (writeEpoch w) (Array.ofList s.Epochs)
         w.Write s.Steps
         w.Write s.Position
         w.Write s.Schedule.Lr
         w.Write s.Schedule.BatchSize
         w.Write s.Schedule.Best
         w.Write s.Schedule.Wait
         w.Write s.Schedule.Cooldown
         w.Write s.Noise.G2
         w.Write s.Noise.Trace
         w.Write s.Noise.Weight
         w.Write s.Noise.Samples
         w.Write s.Seconds
         writeArray w (fun (x: uint64) -> w.Write x) s.Shuffle
         w.Write s.OptimizerSteps
         writeArray w (writeFloats w) s.Weights
         writeArray w (writeFloats w) s.OptimizerState
         w.Write s.Dropout.Length
         w.Write s.Dropout)

        let content = body.ToArray()
        Array.append content (SHA256.HashData content)

    /// The state in a checkpoint file's bytes, if the file is whole, of this format, written by
    /// `codeVersion`, and for trial `trialId`; else why not. (About 70 lines: it reads the file's
    /// fields in the order `toBytes` writes them, so that the two read side by side.)
    let ofBytes (codeVersion: string) (trialId: string) (bytes: byte[]) : Result<MemberState, string> =
        if bytes.Length < 32 + magic.Length then
            Error $"it holds {bytes.Length} bytes, too few for a checkpoint (truncated?)"
        else
            let content = bytes[.. bytes.Length - 33]

            if not (SHA256.HashData(content).AsSpan().SequenceEqual(ReadOnlySpan(bytes, bytes.Length - 32, 32))) then
                Error "its checksum does not match its contents (truncated or damaged)"
            else
                try
                    use r = new BinaryReader(new MemoryStream(content), Text.Encoding.UTF8)
                    let m = Text.Encoding.ASCII.GetString(r.ReadBytes magic.Length)
                    let f = r.ReadInt32()
                    let version = r.ReadString()
                    let trial = r.ReadString()

                    if m <> magic then
                        Error "it is not an lrbs checkpoint"
                    elif f <> format then
                        Error $"it has format {f}, this build reads format {format}"
                    elif version <> codeVersion then
                        Error $"it was written by code version {version}, this is {codeVersion}"
                    elif trial <> trialId then
                        Error $"it belongs to trial {trial}"
                    else
                        let pack = readArray r (fun () -> r.ReadString()) |> List.ofArray
                        let epochs = readArray r (fun () -> readEpoch r) |> List.ofArray
                        let steps = r.ReadInt32()
                        let position = r.ReadInt32()

                        let schedule =
                            {
                                Lr = r.ReadDouble()
                                BatchSize = r.ReadInt32()
                                Best = r.ReadDouble()
                                Wait = r.ReadInt32()
                                Cooldown = r.ReadInt32()
                            }

                        let noise = { G2 = r.ReadDouble(); Trace = r.ReadDouble(); Weight = r.ReadDouble(); Samples = r.ReadInt32() }
                        let seconds = r.ReadDouble()
                        let shuffle = readArray r (fun () -> r.ReadUInt64())
                        let optimizerSteps = r.ReadInt64()
                        let weights = readArray r (fun () -> readFloats r)
                        let optimizerState = readArray r (fun () -> readFloats r)
                        let dropout = r.ReadBytes(r.ReadInt32())

                        if r.BaseStream.Position <> r.BaseStream.Length then
                            Error "it has bytes after its state"
                        elif epochs.IsEmpty && position = 0 then
                            Error "it holds no finished epoch"
                        else
                            Ok
                                {
                                    TrialId = trial
                                    Pack = pack
                                    Epochs = epochs
                                    Steps = steps
                                    Position = position
                                    Schedule = schedule
                                    Noise = noise
                                    Seconds = seconds
                                    Shuffle = shuffle
                                    OptimizerSteps = optimizerSteps
                                    Weights = weights
                                    OptimizerState = optimizerState
                                    Dropout = dropout
                                }
                with
                | :? EndOfStreamException
                | :? InvalidDataException
                | :? ArgumentException as e -> Error $"it does not read ({e.Message})"
