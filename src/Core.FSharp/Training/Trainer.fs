namespace Lrbs.Core.Training

open System
open System.Diagnostics
open Lrbs.Core.Engine
open Lrbs.Core.Models
open Lrbs.Core.Losses
open Lrbs.Core.Data
open Lrbs.Core.Optimizers
open Lrbs.Core.Schedules

/// One finished epoch.
type EpochRecord =
    { Epoch: int
      /// Mean training loss over the epoch's examples (batches weighted by size, as Keras).
      TrainLoss: float
      /// Running training metric over the epoch (accuracy, or IoU for boxes).
      TrainMetric: float
      ValLoss: float option
      ValMetric: float option
      TestLoss: float
      TestMetric: float
      Lr: float
      BatchSize: int
      Steps: int
      Seconds: float }

/// How a trial ended.
[<RequireQualifiedAccess>]
type TrialStatus =
    | Ok
    | StoppedEarly
    | Diverged
    | Failed of message: string

    member s.Name =
        match s with
        | Ok -> "ok"
        | StoppedEarly -> "stopped_early"
        | Diverged -> "diverged"
        | Failed _ -> "failed"

/// The outcome of one trial.
type TrialResult =
    { Config: TrialConfig
      Status: TrialStatus
      StopReason: StopReason option
      Epochs: EpochRecord list
      /// "accuracy", "exact_match" or "iou".
      MetricName: string
      FinalTestMetric: float
      FinalTestLoss: float
      Steps: int
      WallSeconds: float
      ParameterCount: int
      TrainCount: int
      TestCount: int }

/// Callbacks for live displays; all optional.
type Progress =
    { OnStart: int -> int -> unit // max epochs, batches in the first epoch
      OnBatch: int -> int -> int -> float -> unit // epoch, batch (1-based), batches, batch loss
      OnEpoch: EpochRecord -> unit }

    static member None = { OnStart = (fun _ _ -> ()); OnBatch = (fun _ _ _ _ -> ()); OnEpoch = ignore }

/// Data prepared for the engine: inputs (N, ...) and targets as native tensors.
type internal Resident(d: Dataset) =
    let shape =
        match d.Input with
        | Shape.Vector f -> [| int64 d.Count; int64 f |]
        | Shape.Image(c, h, w) -> [| int64 d.Count; int64 c; int64 h; int64 w |]
    let x = (T.ofFloat32 shape d.X).Detach()
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

module Trainer =
    let lossFor (d: Dataset) =
        match d.Targets with
        | Targets.Classes _ -> Loss.CrossEntropy
        | Targets.MultiLabel _ -> Loss.BinaryCrossEntropy
        | Targets.Boxes _ -> Loss.OneMinusIoU

    let metricName (d: Dataset) =
        match d.Targets with
        | Targets.Classes _ -> "accuracy"
        | Targets.MultiLabel _ -> "exact_match"
        | Targets.Boxes _ -> "iou"

    /// The metric of predictions (N x k, row-major) against a dataset's targets.
    let metricOf (d: Dataset) (outputs: float32[]) =
        match d.Targets with
        | Targets.Classes(labels, names) -> Metrics.accuracy outputs names.Length labels
        | Targets.MultiLabel(v, names) -> snd (Metrics.multiLabel outputs v names.Length)
        | Targets.Boxes v -> Metrics.meanIoU outputs v

    /// Model outputs for every row (no gradients, eval mode), row-major.
    let predict (net: Network) (x: Tensor) (count: int) (batch: int) =
        use _ = new NoGrad()
        [| for start in 0..batch .. count - 1 do
               use _ = new Scope()
               let n = min batch (count - start)
               let idx = T.ofInt64 [| int64 n |] (Array.init n (fun i -> int64 (start + i)))
               yield! (net.Forward(T.indexSelect 0 idx x, false)).Output.ToArray() |]

    /// Mean loss and metric over a partition (eval mode, batches of 1024).
    let internal evaluate (net: Network) (loss: Loss) (r: Resident) =
        use _ = new NoGrad()
        let d = r.Data
        let mutable total = 0.0
        let outputs = Collections.Generic.List<float32>()
        for start in 0..1024 .. d.Count - 1 do
            use _ = new Scope()
            let n = min 1024 (d.Count - start)
            let idx = T.ofInt64 [| int64 n |] (Array.init n (fun i -> int64 (start + i)))
            let out = net.Forward(T.indexSelect 0 idx r.X, false)
            total <- total + (Loss.compute loss out (T.indexSelect 0 idx r.Y)).Item * float n
            outputs.AddRange(out.Output.ToArray())
        total / float d.Count, metricOf d (outputs.ToArray())

    /// Loads, splits and checks the data a config asks for.
    let prepare (c: TrialConfig) : Result<SplitData, ConfigError list> =
        let fail field msg = Error [ { Field = field; Message = msg } ]
        match Registry.load c.Dataset c.DataDir with
        | Error e -> fail "dataset" e.Message
        | Ok d ->
            match Split.apply c.Split (uint64 c.Seed) d with
            | Error e -> fail "split" e
            | Ok s ->
                let s =
                    match c.TrainLimit with
                    | Some n when n < s.Train.Count -> { s with Train = Dataset.take [| 0 .. n - 1 |] s.Train }
                    | _ -> s
                if c.BatchSize > s.Train.Count then
                    fail "batch_size" $"batch size {c.BatchSize} is larger than the training set ({s.Train.Count} rows); allowed: 1..{s.Train.Count}"
                else
                    match Catalog.build c.Model s.Train.Input (Dataset.head s.Train) with
                    | Error e -> fail "model" e
                    | Ok _ -> Ok s

    /// Trains one trial. Divergence (a NaN or infinite loss) is a status, not an exception.
    let run (c: TrialConfig) (data: SplitData) (progress: Progress) : TrialResult =
        let clock = Stopwatch.StartNew()
        let seed = uint64 c.Seed
        Runtime.manualSeed seed
        let spec =
            match Catalog.build c.Model data.Train.Input (Dataset.head data.Train) with
            | Ok s -> s
            | Error e -> invalidArg "c" e
        let loss = lossFor data.Train
        use net = Network.Create(spec, seed)
        use opt = Factory.create c.Optimizer net.Parameters
        use train = new Resident(data.Train)
        use test = new Resident(data.Test)
        use validation = data.Validation |> Option.map (fun v -> new Resident(v)) |> Option.toObj
        let shuffler = Rng.Derive(seed, "shuffle")
        let n = data.Train.Count
        let epochs = Collections.Generic.List<EpochRecord>()
        let mutable schedule = Schedule.start c.Lr c.BatchSize
        let mutable stop: StopReason option = None
        let mutable steps = 0
        progress.OnStart c.Stopping.MaxEpochs ((n + c.BatchSize - 1) / c.BatchSize)
        while stop.IsNone do
            let epoch = epochs.Count + 1
            let epochClock = Stopwatch.StartNew()
            let batch = schedule.BatchSize
            let batches = (n + batch - 1) / batch
            let order = shuffler.Permutation n
            let mutable lossSum = 0.0
            let mutable metricSum = 0.0
            let mutable seen = 0
            let mutable b = 0
            while b < batches && stop.IsNone do
                use _ = new Scope()
                let start = b * batch
                let size = min batch (n - start) // the last batch may be smaller, as in Keras
                let idx = T.ofInt64 [| int64 size |] (Array.init size (fun i -> int64 order[start + i]))
                let y = T.indexSelect 0 idx train.Y
                let out = net.Forward(T.indexSelect 0 idx train.X, true)
                let l = Loss.compute loss out y
                let value = l.Item
                if not (Double.IsFinite value) then
                    stop <- Some StopReason.Diverged
                else
                    T.backward l
                    opt.Step schedule.Lr
                    steps <- steps + 1
                    lossSum <- lossSum + value * float size
                    metricSum <-
                        metricSum
                        + (match data.Train.Targets with
                           | Targets.Classes _ -> (T.eq (T.argmax 1 out.Output) y |> T.sum).Item
                           | Targets.Boxes _ -> (Loss.iou out.Output y |> T.sum).Item
                           | Targets.MultiLabel _ ->
                               let hit = T.eq (T.gtScalar 0.5 out.Output) y |> T.meanDim 1
                               (T.eq hit (T.scalar 1.0) |> T.sum).Item)
                    seen <- seen + size
                    progress.OnBatch epoch (b + 1) batches value
                b <- b + 1
            if stop.IsNone then
                let valLoss, valMetric =
                    if isNull validation then None, None
                    else
                        let l, m = evaluate net loss validation
                        Some l, Some m
                let testLoss, testMetric = evaluate net loss test
                let record =
                    { Epoch = epoch
                      TrainLoss = lossSum / float seen
                      TrainMetric = metricSum / float seen
                      ValLoss = valLoss
                      ValMetric = valMetric
                      TestLoss = testLoss
                      TestMetric = testMetric
                      Lr = schedule.Lr
                      BatchSize = batch
                      Steps = batches
                      Seconds = epochClock.Elapsed.TotalSeconds }
                epochs.Add record
                progress.OnEpoch record
                if not (Double.IsFinite record.TrainLoss) then stop <- Some StopReason.Diverged
                else
                    let trainLosses = epochs |> Seq.map (fun e -> e.TrainLoss) |> List.ofSeq
                    let valLosses = epochs |> Seq.choose (fun e -> e.ValLoss) |> List.ofSeq
                    stop <- Stopping.check c.Stopping trainLosses valLosses
                    schedule <- Schedule.next c.Schedule epoch (defaultArg valLoss record.TrainLoss) schedule
        let last = if epochs.Count = 0 then None else Some epochs[epochs.Count - 1]
        { Config = c
          Status =
            match stop with
            | Some StopReason.Diverged -> TrialStatus.Diverged
            | Some StopReason.MaxEpochs -> TrialStatus.Ok
            | _ -> TrialStatus.StoppedEarly
          StopReason = stop
          Epochs = List.ofSeq epochs
          MetricName = metricName data.Train
          FinalTestMetric = last |> Option.map (fun e -> e.TestMetric) |> Option.defaultValue nan
          FinalTestLoss = last |> Option.map (fun e -> e.TestLoss) |> Option.defaultValue nan
          Steps = steps
          WallSeconds = clock.Elapsed.TotalSeconds
          ParameterCount = ModelSpec.parameterCount spec |> Result.defaultValue 0
          TrainCount = data.Train.Count
          TestCount = data.Test.Count }

    /// Like `run`, but an exception inside the trial becomes status `failed` with its
    /// message instead of escaping: one broken trial must not stop a sweep.
    let tryRun (c: TrialConfig) (data: SplitData) (progress: Progress) : TrialResult =
        let clock = Stopwatch.StartNew()
        try
            run c data progress
        with e ->
            { Config = c
              Status = TrialStatus.Failed e.Message
              StopReason = None
              Epochs = []
              MetricName = metricName data.Train
              FinalTestMetric = nan
              FinalTestLoss = nan
              Steps = 0
              WallSeconds = clock.Elapsed.TotalSeconds
              ParameterCount = 0
              TrainCount = data.Train.Count
              TestCount = data.Test.Count }
