namespace Lrbs.Core.Training

open System
open System.Collections.Concurrent
open System.Diagnostics
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Data
open Lrbs.Core.Schedules

/// A partition's rows resident in the engine: inputs (N, ...) and targets. The engine reads the
/// inputs where they are (the partition's array, pinned while this lives), not a copy of them:
/// a trial holds its rows once, not twice.
type internal Resident(d: Dataset) =
    let shape =
        match d.Input with
        | Shape.Vector f -> [| int64 d.Count; int64 f |]
        | Shape.Image(c, h, w) -> [| int64 d.Count; int64 c; int64 h; int64 w |]

    let x, pin =
        let t, pin = T.viewOfFloat32 shape d.X
        t.Detach(), pin

    let y =
        match d.Targets with
        | Targets.Classes(labels, _) -> T.ofInt64 [| int64 d.Count |] (labels |> Array.map int64)
        | Targets.MultiLabel(v, names) -> T.ofFloat32 [| int64 d.Count; int64 names.Length |] v
        | Targets.Boxes v -> T.ofFloat32 [| int64 d.Count; 4L |] v
        |> fun t -> t.Detach()

    member _.X = x
    member _.Y = y
    member _.Data = d

    interface IDisposable with
        member _.Dispose() =
            (x :> IDisposable).Dispose()
            (y :> IDisposable).Dispose()

            if pin.IsAllocated then
                pin.Free()

/// One member of a training run while it trains.
type private Member =
    {
        Index: int
        Config: TrialConfig
        mutable Schedule: ScheduleState
        Epochs: Collections.Generic.List<EpochRecord>
        mutable Stop: StopReason option
        mutable Steps: int
        mutable Noise: NoiseEma
        /// A branch: the examples of its window still to train (Int32.MaxValue otherwise).
        mutable WindowLeft: int
        /// A branch: the epochs and steps its reference run had trained at the branch point (its
        /// result holds its own only).
        mutable Inherited: int * int
        /// A branch: its reference run's B_simple at the branch point.
        mutable StartNoise: float option
    }

module Trainer =
    let lossFor (c: TrialConfig) (d: Dataset) =
        match d.Targets with
        | Targets.Classes _ -> Loss.CrossEntropy c.LossForm
        | Targets.MultiLabel _ -> Loss.BinaryCrossEntropy c.LossForm
        | Targets.Boxes _ -> Loss.OneMinusIoU c.BoxLoss

    let metricName (d: Dataset) =
        match d.Targets with
        | Targets.Classes _ -> "accuracy"
        | Targets.MultiLabel _ -> "exact_match"
        | Targets.Boxes _ -> "iou"

    /// The part of a config that decides the data a trial sees.
    let dataKey (c: TrialConfig) =
        String.Join(
            "|",
            c.Dataset,
            defaultArg c.DataDir "",
            c.DataSeed,
            string c.Pool,
            Split.describe c.Split,
            string c.TrainLimit,
            string c.TestLimit,
            string c.ImageSize,
            String.Join(",", c.Labels)
        )

    let private splits = ConcurrentDictionary<string, Lazy<Result<SplitData, ConfigError list>>>()

    /// Loads and splits the data a config asks for (once per process for each data key: the
    /// trials of a sweep share it).
    let private loaded (c: TrialConfig) : Result<SplitData, ConfigError list> =
        let fail field msg = Error [ { Field = field; Message = msg } ]

        splits
            .GetOrAdd(
                dataKey c,
                fun _ ->
                    lazy
                        (let request: Registry.LoadRequest =
                            { DataDir = c.DataDir; ImageSize = c.ImageSize; Labels = c.Labels; DataSeed = c.DataSeed }

                         match Registry.load c.Dataset request with
                         | Error e ->
                             fail
                                 (match e with
                                  | DataError.Missing _
                                  | DataError.Malformed _ -> "data_dir"
                                  | _ -> "dataset")
                                 e.Message
                         | Ok d ->
                             match Split.apply c.Split (uint64 c.DataSeed) c.Pool c.TrainLimit c.TestLimit d with
                             | Error e -> fail (if c.Pool.IsSome then "pool" else "split") e
                             | Ok s ->
                                 match Registry.tryInfo c.Dataset with
                                 | Some i when i.MinMax ->
                                     // fitted on the training part only, applied to every part
                                     let stats = Dataset.minMax s.Train

                                     Ok
                                         {
                                             Train = Dataset.scaleWith stats s.Train
                                             Validation = s.Validation |> Option.map (Dataset.scaleWith stats)
                                             Test = Dataset.scaleWith stats s.Test
                                         }
                                 | _ -> Ok s)
            )
            .Value

    /// The partitions as a trial evaluates them: every test row, or with eval_batches whole the
    /// rows that fill whole batches of batch_size, in order (the last partial batch dropped).
    let private evaluated (c: TrialConfig) (s: SplitData) =
        if c.EvalWholeBatches then
            { s with Test = Source.rowsOf [| 0 .. s.Test.Count / c.BatchSize * c.BatchSize - 1 |] s.Test }
        else
            s

    /// The test rows a config evaluates, without the checks of its model and batch size (the
    /// chance level of a trial committed before it was recorded, Collapse.chance).
    let testRows (c: TrialConfig) : Result<Dataset, ConfigError list> = loaded c |> Result.map (fun s -> (evaluated c s).Test)

    /// Loads, splits and checks the data a config asks for, with the test rows it evaluates.
    let prepare (c: TrialConfig) : Result<SplitData, ConfigError list> =
        let fail field msg = Error [ { Field = field; Message = msg } ]

        loaded c
        |> Result.bind (fun s ->
            if c.BatchSize > s.Train.Count then
                fail "batch_size" $"batch size {c.BatchSize} is larger than the training set ({s.Train.Count} rows); allowed: 1..{s.Train.Count}"
            elif
                (match c.Schedule with
                 | Schedule.BatchPoints ps -> ps |> List.exists (fun (_, b, _) -> b > s.Train.Count)
                 | _ -> false)
            then
                fail "schedule" $"a batch size of {Schedule.canonical c.Schedule} is larger than the training set ({s.Train.Count} rows)"
            elif c.Branch.IsSome && c.Branch.Value.ParentBatch > s.Train.Count then
                fail
                    "branch_batch"
                    $"the reference run's batch size {c.Branch.Value.ParentBatch} is larger than the training set ({s.Train.Count} rows); allowed: 1..{s.Train.Count}"
            elif c.EvalWholeBatches && c.BatchSize > s.Test.Count then
                fail "eval_batches" $"whole batches of {c.BatchSize} leave nothing of the {s.Test.Count} test rows to evaluate"
            else
                match TrialConfig.modelSpec c s.Train.Input (Dataset.head s.Train) with
                | Error e -> fail "model" e
                | Ok _ -> Ok(evaluated c s))

    /// Trials with the same pack key can train as members of one net: they differ only in
    /// learning rate, a schedule that changes only the learning rate, and seed.
    let packKey (c: TrialConfig) =
        let schedule = if Schedule.changesBatch c.Schedule then c.Schedule else Schedule.Constant
        TrialConfig.canonical { c with Lr = 1.0; Seed = 0; Schedule = schedule }

    /// Why a trial cannot share a packed step, if it cannot.
    let whyNotPackable (c: TrialConfig) = if Schedule.changesBatch c.Schedule then Some "its schedule changes the batch size" else None

    /// The result of a trial that failed with `message` after `seconds` (nothing trained counts).
    let failed (c: TrialConfig) (data: SplitData) (message: string) (seconds: float) =
        {
            Config = c
            Status = TrialStatus.Failed message
            StopReason = None
            Epochs = []
            MetricName = metricName data.Train
            FinalTestMetric = nan
            FinalTestLoss = nan
            Steps = 0
            WallSeconds = seconds
            ParameterCount = 0
            TrainCount = data.Train.Count
            TestCount = data.Test.Count
            PackSize = 1
            ResumedEpochs = 0
            BranchBSimple = None
            ChanceMetric = Collapse.chance data.Test
            Collapsed = Some false
            TestOutputs = None
        }

    /// Puts saved states into a fresh net and its members: weights, optimizer state and step
    /// count, dropout generators, shuffle generators, counters, schedules and finished epochs.
    let private restore (net: Network) (members: Member[]) (shufflers: Collections.Generic.IDictionary<uint64, Rng>) (states: MemberState[]) =
        let steps = states |> Array.map (fun s -> s.OptimizerSteps) |> Array.distinct
        let epochs = states |> Array.map (fun s -> s.Epoch) |> Array.distinct

        if steps.Length <> 1 || epochs.Length <> 1 then
            invalidArg "checkpointing" $"a pack resumes only when all its members saved at the same point (epochs %A{epochs}, optimizer steps %A{steps})"

        net.OptimizerSteps <- steps[0]

        Array.iteri2
            (fun position (m: Member) (s: MemberState) ->
                let from = TrialConfig.reference m.Config |> Option.defaultValue m.Config

                if s.TrialId <> TrialConfig.id from then
                    invalidArg "checkpointing" $"member {position} starts from trial {TrialConfig.id from}, its state is trial {s.TrialId}'s"

                net.SetKerasWeights(
                    position,
                    List.map2 (fun (a: ModelWeight) v -> { Name = a.Name; Shape = a.Def.Shape; Values = v }) net.Arrays (List.ofArray s.Weights)
                )

                net.SetOptimizerState(position, s.OptimizerState)
                net.SetDropoutState(position, s.Dropout)
                shufflers[uint64 m.Config.Seed].Restore s.Shuffle
                m.Epochs.AddRange s.Epochs
                m.Steps <- s.Steps
                m.Noise <- s.Noise

                match m.Config.Branch with
                | Some _ ->
                    m.Inherited <- (s.Epochs.Length, s.Steps) // its own schedule starts here
                    m.StartNoise <- NoiseScale.read s.Noise |> Option.map (fun (_, _, b) -> b)
                | None -> m.Schedule <- s.Schedule)
            members
            states

    /// A member's state now (position: its place in the net), to save.
    let private capture
        (net: Network)
        (shufflers: Collections.Generic.IDictionary<uint64, Rng>)
        (pack: string list)
        (seconds: float)
        (position': int)
        (position: int)
        (m: Member)
        =
        {
            TrialId = TrialConfig.id m.Config
            Pack = pack
            Epochs = List.ofSeq m.Epochs
            Steps = m.Steps
            Position = position'
            Schedule = m.Schedule
            Noise = m.Noise
            Seconds = seconds
            Shuffle = shufflers[uint64 m.Config.Seed].State
            OptimizerSteps = net.OptimizerSteps
            Weights = net.GetKerasWeights position |> List.map (fun w -> w.Values) |> Array.ofList
            OptimizerState = net.GetOptimizerState position
            Dropout = net.GetDropoutState position
        }

    /// The network a pack trains and the data it trains on: the trials' model with its constant
    /// prefix stripped (computed once per partition) where that is on. Raises ArgumentException
    /// where the trials cannot share one net.
    let private packNet (configs: TrialConfig[]) (data: SplitData) =
        if configs.Length = 0 then
            invalidArg "configs" "a pack needs at least one trial"

        let c0 = configs[0]

        if configs |> Array.exists (fun c -> packKey c <> packKey c0) then
            invalidArg "configs" "the trials of a pack must differ only in learning rate, learning-rate schedule and seed"

        if configs.Length > 1 && (whyNotPackable c0).IsSome then
            invalidArg "configs" $"cannot pack: {(whyNotPackable c0).Value}"

        let whole =
            match TrialConfig.modelSpec c0 data.Train.Input (Dataset.head data.Train) with
            | Ok s -> s
            | Error e -> invalidArg "configs" e

        if ConstantPrefix.enabled.Value then ConstantPrefix.strip whole data else whole, data

    /// The members' saved states where the run resumes (every member has one), else None.
    let private resumedStates (checkpointing: Checkpointing) (members: int) =
        if checkpointing.Every < 1 then
            invalidArg "checkpointing" $"the checkpoint interval must be >= 1 epoch, got {checkpointing.Every}"

        match checkpointing.Start with
        | [||] -> None
        | states when states.Length <> members -> invalidArg "checkpointing" $"{states.Length} saved states for {members} trials"
        | states when Array.forall Option.isNone states -> None
        | states when Array.exists Option.isNone states -> invalidArg "checkpointing" "a pack resumes only when every member has a saved state"
        | states -> Some(Array.map Option.get states)

    /// The test aid LRBS_FAULT: per trial, the step at which it crashes (-1: never).
    let private faultSteps (configs: TrialConfig[]) =
        match Fault.target.Value with
        | Some(id, step) -> configs |> Array.map (fun c -> if TrialConfig.id c = id then step else -1)
        | None -> Array.create configs.Length -1

    /// What every result of a pack shares.
    type private PackFacts = { Data: SplitData; Chance: float; Parameters: int; PackSize: int; ResumedEpochs: int }

    /// A member's result once it stopped, diverged or ran its epochs.
    let private memberResult (facts: PackFacts) (m: Member) (outputs: float32[] option) (wallSeconds: float) : TrialResult =
        let inheritedEpochs, inheritedSteps = m.Inherited
        let own = Seq.skip inheritedEpochs m.Epochs |> List.ofSeq
        let last = if m.Epochs.Count = 0 then None else Some m.Epochs[m.Epochs.Count - 1]
        let metric = last |> Option.map (fun e -> e.TestMetric) |> Option.defaultValue nan

        {
            Config = m.Config
            Status =
                match m.Stop with
                | Some StopReason.Diverged -> TrialStatus.Diverged
                | Some StopReason.MaxEpochs
                | Some StopReason.WindowEnd -> TrialStatus.Ok
                | _ -> TrialStatus.StoppedEarly
            StopReason = m.Stop
            Epochs = own
            MetricName = metricName facts.Data.Train
            FinalTestMetric = metric
            FinalTestLoss = last |> Option.map (fun e -> e.TestLoss) |> Option.defaultValue nan
            Steps = m.Steps - inheritedSteps
            WallSeconds = wallSeconds
            ParameterCount = facts.Parameters
            TrainCount = facts.Data.Train.Count
            TestCount = facts.Data.Test.Count
            PackSize = facts.PackSize
            ResumedEpochs = facts.ResumedEpochs
            BranchBSimple = m.StartNoise
            ChanceMetric = facts.Chance
            Collapsed =
                let losses = own |> Seq.map (fun e -> e.TrainLoss) |> Array.ofSeq
                Collapse.collapsed (m.Stop <> Some StopReason.Diverged) metric facts.Chance facts.Data.Test.Count losses
            TestOutputs = outputs
        }

    /// Each active member's learning rate for its next step (a scaling rule's warm-up, else its schedule's).
    let private learningRates (active: Member[]) (firstBatches: int) (lrs: float[]) =
        active
        |> Array.iteri (fun i m ->
            lrs[i] <-
                match m.Config.Scaling with
                | Some s when s.WarmupEpochs > 0 -> LrScaling.warmup m.Config.Lr m.Schedule.Lr (s.WarmupEpochs * firstBatches) m.Steps
                | _ -> m.Schedule.Lr)

    /// One epoch's record of member `i` from the epoch's totals.
    let private epochRecord epoch (train: Totals) (validation: Totals option) (test: Totals) lr batch batches seconds trainSeconds noise : EpochRecord =
        {
            Epoch = epoch
            TrainLoss = train.MeanLoss
            TrainMetric = train.MeanMetric
            ValLoss = validation |> Option.map (fun v -> v.MeanLoss)
            ValMetric = validation |> Option.map (fun v -> v.MeanMetric)
            TestLoss = test.MeanLoss
            TestMetric = test.MeanMetric
            Lr = lr
            BatchSize = batch
            Steps = batches
            Seconds = seconds
            TrainSeconds = trainSeconds
            NoiseG2 = noise |> Option.map (fun (g, _, _) -> g)
            NoiseTrace = noise |> Option.map (fun (_, t, _) -> t)
            NoiseBSimple = noise |> Option.map (fun (_, _, b) -> b)
        }

    /// What a pack's epoch loop reads and does not change: the net, its resident rows, the
    /// members' seeds and shuffle streams, the first member's settings, the fault plan and the
    /// progress to report to.
    type private PackLoop =
        {
            Net: Network
            Train: Resident
            Test: Resident
            Validation: Resident option
            Seeds: uint64[]
            Shared: bool
            Shufflers: Collections.Generic.IDictionary<uint64, Rng>
            Rows: int
            First: TrialConfig
            FaultAt: int[]
            FirstBatches: int
            Progress: Progress
            /// The reference steps at which the members' states are saved for branches.
            BranchSteps: Set<int>
            /// Saves the members' states inside an epoch: the row reached, each seed's shuffle
            /// state before the epoch's order was drawn.
            SaveBranch: int -> (uint64 -> uint64[]) -> Member[] -> unit
        }

    /// The steps of one epoch for the active members: a fresh order per distinct seed (so each
    /// member's order depends only on its seed), then every batch through the one training step,
    /// with the noise scale measured where asked. A run resumed inside an epoch starts at
    /// `startRow` (the order is drawn again from the stream's state before it); a branch stops
    /// where its window ends. A reference run saves its states at its branch steps. Returns the
    /// batch size, the batches run and each member's learning rate of its last step.
    let private runEpoch (loop: PackLoop) (active: Member[]) (epoch: int) (startRow: int) =
        let n = loop.Rows
        let batch = active[0].Schedule.BatchSize
        let planned = (n - startRow + batch - 1) / batch
        let before = loop.Shufflers |> Seq.map (fun kv -> kv.Key, kv.Value.State) |> dict
        let perms = loop.Shufflers |> Seq.map (fun kv -> kv.Key, kv.Value.Permutation n) |> dict
        let faulty = loop.FaultAt |> Array.exists (fun s -> s > 0) // the step loop looks only when a member is named

        use order =
            if loop.Shared then
                T.ofInt64 [| int64 n |] (perms[loop.Seeds[0]] |> Array.map int64)
            else
                T.ofInt64 [| int64 active.Length; int64 n |] (active |> Array.collect (fun m -> perms[loop.Seeds[m.Index]] |> Array.map int64))

        let source = { X = loop.Train.X; Y = loop.Train.Y; Order = Some order }
        let lrs = Array.zeroCreate<float> active.Length
        let sample () = (loop.Net.Statistics false).[0].MeanLoss

        let mutable start = startRow
        let mutable batches = 0

        while start < n && active[0].WindowLeft > 0 do
            let size = min batch (n - start) // the last batch may be smaller, as in Keras
            learningRates active loop.FirstBatches lrs

            let noise =
                match loop.First.NoiseScale with
                | Some ns when active[0].Steps % ns.Every = 0 && size = batch -> ns.Small
                | _ -> 0

            if faulty then
                for m in active do
                    if loop.FaultAt[m.Index] = m.Steps + 1 then
                        Fault.crash ()

            Step.run loop.Net source start size lrs noise

            if noise > 0 then
                loop.Net.NoiseMeasurement()
                |> Array.iteri (fun i (small, big) ->
                    let m = active[i]
                    m.Noise <- NoiseScale.add loop.First.NoiseScale.Value.Ema (NoiseScale.estimate noise size small big) m.Noise)

            for m in active do
                m.Steps <- m.Steps + 1

                if m.WindowLeft <> Int32.MaxValue then
                    m.WindowLeft <- m.WindowLeft - size

            start <- start + size
            batches <- batches + 1

            loop.Progress.OnStepLosses
            |> Option.iter (fun report -> report (active |> Array.map (fun m -> m.Index)) (loop.Net.LastLoss()))

            loop.Progress.OnBatch epoch batches planned sample

            if start < n && loop.BranchSteps.Contains active[0].Steps then
                loop.SaveBranch start (fun seed -> before[seed]) active

        batch, batches, lrs

    /// The end of an epoch: the members' training totals, the validation and test passes, each
    /// member's record, then its stopping rule and schedule (a member whose loss is not finite
    /// diverged).
    let private closeEpoch (loop: PackLoop) (active: Member[]) epoch batch batches (lrs: float[]) (epochClock: Stopwatch) =
        let trainSeconds = epochClock.Elapsed.TotalSeconds
        let stats = loop.Net.Statistics true
        let valTotals = loop.Validation |> Option.map (fun v -> loop.Net.Evaluate(v.X, v.Y))
        let testTotals = loop.Net.Evaluate(loop.Test.X, loop.Test.Y)

        active
        |> Array.iteri (fun i m ->
            if not (Double.IsFinite stats[i].LossSum) then
                m.Stop <- Some StopReason.Diverged
            else
                let validation = valTotals |> Option.map (fun v -> v[i])
                let seconds = epochClock.Elapsed.TotalSeconds

                let record =
                    epochRecord epoch stats[i] validation testTotals[i] lrs[i] batch batches seconds trainSeconds (NoiseScale.read m.Noise)

                m.Epochs.Add record
                loop.Progress.OnEpoch m.Index record

                match m.Config.Branch with
                | Some _ ->
                    if m.WindowLeft <= 0 then
                        m.Stop <- Some StopReason.WindowEnd
                | None ->
                    let trainLosses = m.Epochs |> Seq.map (fun e -> e.TrainLoss) |> List.ofSeq
                    let valLosses = m.Epochs |> Seq.choose (fun e -> e.ValLoss) |> List.ofSeq
                    m.Stop <- Stopping.check m.Config.Stopping trainLosses valLosses
                    m.Schedule <- Schedule.next m.Config.Schedule epoch (defaultArg record.ValLoss nan) m.Schedule)

    /// A member's state before its first epoch: trial `i` of the pack, on `n` training rows.
    let private startMember (n: int) (i: int) (c: TrialConfig) : Member =
        {
            Index = i
            Config = c
            Schedule = Schedule.start (TrialConfig.targetLr c) c.BatchSize
            Epochs = Collections.Generic.List()
            Stop = None
            Steps = 0
            Noise = NoiseScale.empty
            WindowLeft =
                match c.Branch with
                | Some b -> TrialConfig.windowRows n b
                | None -> Int32.MaxValue
            Inherited = 0, 0
            StartNoise = None
        }

    /// A branch (packed branches share their point: the pack key holds it) starts from its
    /// reference run's state there: the states given must be at that step, and there must be some.
    let private checkBranchStart (c0: TrialConfig) (n: int) (resumed: MemberState[] option) =
        match c0.Branch, resumed with
        | Some b, Some states when states |> Array.exists (fun s -> s.Steps <> TrialConfig.branchStep n b) ->
            let steps = states |> Array.map (fun s -> s.Steps) |> Array.distinct
            invalidArg "checkpointing" $"the branch starts at reference step {TrialConfig.branchStep n b}; the state given is at step %A{steps}"
        | Some _, None -> invalidArg "checkpointing" "a branch starts from its reference run's state at the branch point; none was given"
        | _ -> ()

    /// Trains the members of a pack (a single trial is a pack of one) through the one
    /// training step. Each member keeps its own learning rate, schedule, seed (weights,
    /// shuffle order, dropout masks), stopping rule and result; a member that stops or
    /// diverges leaves the net and the others go on. Divergence (a NaN or infinite epoch
    /// loss) is a status, not an exception. (About 110 lines: it owns the net, the resident rows
    /// and the members' mutable state, and disposes of them, so the closures that read them
    /// (statesAt, finish) live here; an epoch is runEpoch and closeEpoch, a member's start
    /// startMember.)
    let private trainPack (checkpointing: Checkpointing) (configs: TrialConfig[]) (data: SplitData) (progress: Progress) : TrialResult[] =
        let clock = Stopwatch.StartNew()
        let spec, data = packNet configs data
        let c0 = configs[0]
        let seeds = configs |> Array.map (fun c -> uint64 c.Seed)
        let shared = (Array.distinct seeds).Length = 1
        // the rows before the net, so that the net (whose layers may keep views of a batch) goes first
        use train = new Resident(data.Train)
        use test = new Resident(data.Test)
        use validation = data.Validation |> Option.map (fun v -> new Resident(v)) |> Option.toObj
        use net = Network.Create(spec, lossFor c0 data.Train, TrialConfig.optimizerSpec c0, seeds, shared)
        let n = data.Train.Count
        let shufflers = seeds |> Array.distinct |> Array.map (fun s -> s, Rng.Derive(s, "shuffle")) |> dict

        let members = configs |> Array.mapi (startMember n)
        // a resumed run starts from its members' saved states; its wall time goes on from theirs
        let resumed = resumedStates checkpointing configs.Length
        checkBranchStart c0 n resumed
        resumed |> Option.iter (restore net members shufflers)
        let priorSeconds = resumed |> Option.map (fun s -> s[0].Seconds) |> Option.defaultValue 0.0
        let results: TrialResult option[] = Array.create configs.Length None

        let facts: PackFacts =
            {
                Data = data
                Chance = Collapse.chance data.Test
                Parameters = ModelSpec.parameterCount spec |> Result.defaultValue 0
                PackSize = configs.Length
                ResumedEpochs = if c0.Branch.IsSome then 0 else resumed |> Option.map (fun s -> s[0].Epoch) |> Option.defaultValue 0
            }

        let mutable active = members // in the net's member order

        /// The members' states now, in the net's order (`row`: rows of the epoch trained; the
        /// shuffle streams as `shuffle` gives them): what a checkpoint and a branch point save.
        let statesAt (row: int) (shuffle: uint64 -> uint64[]) (going: Member[]) =
            let pack = going |> Array.map (fun m -> TrialConfig.id m.Config) |> List.ofArray
            let seconds = priorSeconds + clock.Elapsed.TotalSeconds

            going
            |> Array.mapi (fun position m -> { capture net shufflers pack seconds row position m with Shuffle = shuffle (uint64 m.Config.Seed) })

        let saveBranch row shuffle going = checkpointing.SaveBranch(statesAt row shuffle going)

        let current (seed: uint64) = shufflers[seed].State

        let firstBatches = (n + c0.BatchSize - 1) / c0.BatchSize
        progress.OnStart c0.Stopping.MaxEpochs firstBatches

        let loop =
            {
                Net = net
                Train = train
                Test = test
                Validation = Option.ofObj validation
                Seeds = seeds
                Shared = shared
                Shufflers = shufflers
                Rows = n
                First = c0
                FaultAt = faultSteps configs
                FirstBatches = firstBatches
                Progress = progress
                BranchSteps = checkpointing.BranchSteps
                SaveBranch = saveBranch
            }

        let finish (position: int) (m: Member) =
            let outputs =
                if m.Config.Predictions && m.Stop <> Some StopReason.Diverged then
                    use all = net.Predict test.X // (members, rows, outputs)
                    let values = all.ToArray()
                    let size = values.Length / active.Length
                    Some values[position * size .. (position + 1) * size - 1]
                else
                    None

            let r = memberResult facts m outputs (priorSeconds + clock.Elapsed.TotalSeconds)
            results[m.Index] <- Some r
            progress.OnFinished m.Index r

        let mutable startRow = resumed |> Option.map (fun s -> s[0].Position) |> Option.defaultValue 0

        while active.Length > 0 do
            let epoch = active[0].Epochs.Count + 1
            let epochClock = Stopwatch.StartNew()
            let batch, batches, lrs = runEpoch loop active epoch startRow
            startRow <- 0
            closeEpoch loop active epoch batch batches lrs epochClock
            let stopped, going = active |> Array.partition (fun m -> m.Stop.IsSome)

            active
            |> Array.iteri (fun position m ->
                if m.Stop.IsSome then
                    finish position m)

            if stopped.Length > 0 && going.Length > 0 then
                net.KeepMembers(going |> Array.map (fun m -> Array.IndexOf(active, m)))

            active <- going

            if active.Length > 0 && checkpointing.BranchSteps.Contains active[0].Steps then
                saveBranch 0 current active

            if active.Length > 0 && epoch % checkpointing.Every = 0 && c0.Branch.IsNone then // a branch is short: it starts again
                checkpointing.Save(statesAt 0 current active)

        results |> Array.map Option.get

    /// trainPack, then the large blocks its net and data left idle go back to the system: the
    /// next trial may use other sizes, and a batch-4,096 trial's blocks would otherwise stay.
    /// With `checkpointing`, members resume from saved states and save theirs as they go.
    let runPackWith (checkpointing: Checkpointing) (configs: TrialConfig[]) (data: SplitData) (progress: Progress) : TrialResult[] =
        try
            trainPack checkpointing configs data progress
        finally
            Runtime.releaseLargeBlocks () |> ignore

    let runPack configs data progress = runPackWith Checkpointing.None configs data progress

    /// One trial (a pack of one).
    let run (c: TrialConfig) (data: SplitData) (progress: Progress) : TrialResult = (runPack [| c |] data progress)[0]

    /// Like `runPack`, but an exception inside the run becomes status `failed` with its
    /// message for every member not finished yet: one broken run must not stop a sweep.
    let tryRunPackWith (checkpointing: Checkpointing) (configs: TrialConfig[]) (data: SplitData) (progress: Progress) : TrialResult[] =
        let clock = Stopwatch.StartNew()
        let finished = ConcurrentDictionary<int, TrialResult>()

        let tracking =
            { progress with
                OnFinished =
                    fun i r ->
                        finished[i] <- r
                        progress.OnFinished i r
            }

        try
            runPackWith checkpointing configs data tracking
        with
        | :? RunAbortedException -> reraise ()
        | e ->
            configs
            |> Array.mapi (fun i c ->
                match finished.TryGetValue i with
                | true, r -> r
                | _ ->
                    let r = { failed c data e.Message clock.Elapsed.TotalSeconds with PackSize = configs.Length }
                    progress.OnFinished i r
                    r)

    let tryRunPack configs data progress = tryRunPackWith Checkpointing.None configs data progress

    let tryRun (c: TrialConfig) (data: SplitData) (progress: Progress) : TrialResult = (tryRunPack [| c |] data progress)[0]
