namespace Lrbs.Core.Training

open System

/// One finished epoch of one trial.
type EpochRecord =
    {
        Epoch: int
        /// Mean training loss over the epoch's examples (batches weighted by size, as Keras).
        TrainLoss: float
        /// Running training metric over the epoch (accuracy, all-labels-right, or IoU).
        TrainMetric: float
        ValLoss: float option
        ValMetric: float option
        TestLoss: float
        TestMetric: float
        /// The learning rate of the epoch's last step.
        Lr: float
        BatchSize: int
        Steps: int
        /// The whole epoch, evaluation included.
        Seconds: float
        /// The training steps only.
        TrainSeconds: float
        /// Gradient noise scale at the end of the epoch: moving averages of |G|^2 and tr(Sigma),
        /// and B_simple = tr(Sigma)/|G|^2 (when the trial measures it).
        NoiseG2: float option
        NoiseTrace: float option
        NoiseBSimple: float option
    }

/// How a trial ended. Stored by its Name; `parse` is the only way back.
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

module TrialStatus =
    let names = [ "ok"; "stopped_early"; "diverged"; "failed" ]

    /// The status stored as `name` (with the error text of a failed trial); anything else is an error.
    let parse (name: string) (error: string option) =
        match name with
        | "ok" -> Result.Ok TrialStatus.Ok
        | "stopped_early" -> Result.Ok TrialStatus.StoppedEarly
        | "diverged" -> Result.Ok TrialStatus.Diverged
        | "failed" -> Result.Ok(TrialStatus.Failed(defaultArg error ""))
        | other -> Result.Error $"""unknown trial status '{other}'; allowed: {String.concat ", " names}"""

/// The outcome of one trial.
type TrialResult =
    {
        Config: TrialConfig
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
        TestCount: int
        /// Trials trained together in one packed step (1 when alone).
        PackSize: int
        /// The epochs restored from a checkpoint when the trial resumed mid-way (0: trained from the start).
        ResumedEpochs: int
        /// The test metric of the best constant prediction on the rows evaluated (Collapse.chance).
        ChanceMetric: float
        /// Finished without having learned (Collapse.collapsed); None where that cannot be known.
        Collapsed: bool option
        /// With `predictions`: the outputs on every test example, row-major (rows x outputs).
        TestOutputs: float32[] option
        /// A branch: its reference run's gradient noise scale B_simple at the branch point (the
        /// moving averages in the state it started from); None where it had measured none yet.
        BranchBSimple: float option
    }

    /// The epochs recorded (trained, or restored from a checkpoint and trained on).
    member r.EpochCount = List.length r.Epochs

/// Raised by a progress callback to stop the whole run, never recorded as a trial's failure:
/// the results folder cannot be written (full, read-only), so committing anything would fail too.
type RunAbortedException(message: string, inner: exn) =
    inherit Exception(message, inner)

/// Callbacks for live displays and sweeps; all optional.
type Progress =
    {
        /// Maximum epochs and batches per epoch.
        OnStart: int -> int -> unit
        /// Epoch, batch (1-based), batches, and a way to read the running training loss of the
        /// first member when the display wants it (it never runs per step by itself).
        OnBatch: int -> int -> int -> (unit -> float) -> unit
        /// A member (index into the pack) finished an epoch.
        OnEpoch: int -> EpochRecord -> unit
        /// A member finished: its result is final (a sweep commits it now).
        OnFinished: int -> TrialResult -> unit
        /// When given, after every step: the members still training (indices into the pack) and
        /// their mean loss of that step. It reads from the engine each step: for tests and checks.
        OnStepLosses: (int[] -> float[] -> unit) option
    }

    static member None =
        {
            OnStart = (fun _ _ -> ())
            OnBatch = (fun _ _ _ _ -> ())
            OnEpoch = (fun _ _ -> ())
            OnFinished = (fun _ _ -> ())
            OnStepLosses = None
        }

    /// The same callbacks from .NET delegates (any may be null), for C# callers.
    static member Of(onBatch: Action<int, int, int, Func<float>>, onEpoch: Action<int, EpochRecord>, onFinished: Action<int, TrialResult>) =
        { Progress.None with
            OnBatch =
                (fun e b n read ->
                    if not (isNull onBatch) then
                        onBatch.Invoke(e, b, n, Func<float>(read)))
            OnEpoch =
                (fun i r ->
                    if not (isNull onEpoch) then
                        onEpoch.Invoke(i, r))
            OnFinished =
                (fun i r ->
                    if not (isNull onFinished) then
                        onFinished.Invoke(i, r))
        }
