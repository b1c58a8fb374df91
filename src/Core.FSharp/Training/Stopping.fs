namespace Lrbs.Core.Training

/// The quantity Keras's EarlyStopping watches (its `monitor`): the validation loss (Keras's
/// default, "val_loss") or the epoch's training loss ("loss").
[<RequireQualifiedAccess>]
type Monitor =
    | ValLoss
    | TrainLoss

    /// The Keras name, which is also the trial key's value.
    member m.Name =
        match m with
        | ValLoss -> "val_loss"
        | TrainLoss -> "loss"

/// Keras EarlyStopping (keras/src/callbacks/early_stopping.py), `mode="min"`, no baseline,
/// `restore_best_weights=False` (its default): "min_delta: Minimum change in the monitored
/// quantity to qualify as an improvement, i.e. an absolute change of less than min_delta, will
/// count as no improvement. patience: Number of epochs with no improvement after which training
/// will be stopped." In its code an epoch improves when `current - min_delta < best` with
/// min_delta negated for "min", i.e. current < best - min_delta; `wait` restarts at an
/// improvement, and training stops when wait >= patience.
type EarlyStop = { Patience: int; MinDelta: float; Monitor: Monitor }

/// When a trial stops (docs/studies.md; the rules of every sweep).
type Stopping =
    {
        /// Hard limit on epochs.
        MaxEpochs: int
        /// Stop once |loss_e - loss_{e-1}| < Delta held for Patience consecutive epochs (the
        /// studies' sentence read literally: each epoch against the one before).
        Stabilisation: (float * int) option
        /// Keras EarlyStopping on the validation or the training loss.
        EarlyStopping: EarlyStop option
    }

    static member Epochs n = { MaxEpochs = n; Stabilisation = None; EarlyStopping = None }

/// Why a trial ended.
[<RequireQualifiedAccess>]
type StopReason =
    | MaxEpochs
    | LossStabilised
    | EarlyStopped
    | Diverged
    /// A branch trained its window (TrialConfig.BranchPoint).
    | WindowEnd

module Stopping =
    /// The S1 rule: 200 epochs, or loss changes < 1e-2 for 10 consecutive epochs.
    let study = { MaxEpochs = 200; Stabilisation = Some(1e-2, 10); EarlyStopping = None }

    /// Consecutive epochs, counted back from the last, whose change from the previous is < delta.
    let stableRun (delta: float) (losses: float list) =
        let rec go acc =
            function
            | a :: (b :: _ as rest) -> if abs (a - b) < delta then go (acc + 1) rest else acc
            | _ -> acc

        go 0 (List.rev losses)

    /// Epochs since the monitored loss last improved on its best by more than minDelta (Keras's
    /// `wait`).
    let epochsWithoutImprovement (minDelta: float) (losses: float list) =
        let mutable best = infinity
        let mutable wait = 0

        for v in losses do
            if v < best - minDelta then
                best <- v
                wait <- 0
            else
                wait <- wait + 1

        wait

    /// Whether to stop after the epochs so far (train losses and validation losses, oldest first).
    let check (rule: Stopping) (trainLosses: float list) (valLosses: float list) : StopReason option =
        let epochs = trainLosses.Length

        let stabilised =
            match rule.Stabilisation with
            | Some(delta, patience) -> stableRun delta trainLosses >= patience
            | None -> false

        let early =
            match rule.EarlyStopping with
            | Some e ->
                let watched = if e.Monitor = Monitor.TrainLoss then trainLosses else valLosses
                not watched.IsEmpty && epochsWithoutImprovement e.MinDelta watched >= e.Patience
            | None -> false

        if stabilised then Some StopReason.LossStabilised
        elif early then Some StopReason.EarlyStopped
        elif epochs >= rule.MaxEpochs then Some StopReason.MaxEpochs
        else None

    let validate (rule: Stopping) =
        match rule with
        | { MaxEpochs = n } when n < 1 -> Error $"max_epochs must be >= 1, got {n}"
        | { Stabilisation = Some(d, p) } when d <= 0.0 || p < 1 -> Error $"stabilisation needs delta > 0 and patience >= 1, got {d}, {p}"
        | { EarlyStopping = Some e } when e.Patience < 1 || e.MinDelta < 0.0 ->
            Error $"early stopping needs patience >= 1 and min_delta >= 0, got {e.Patience}, {e.MinDelta}"
        | r -> Ok r
