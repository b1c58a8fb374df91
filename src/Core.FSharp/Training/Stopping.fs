namespace Lrbs.Core.Training

/// When a trial stops (docs/studies.md; the rules of every sweep).
type Stopping =
    { /// Hard limit on epochs.
      MaxEpochs: int
      /// Stop once |loss_e - loss_{e-1}| < Delta held for Patience consecutive epochs (S1: 1e-2, 10).
      Stabilisation: (float * int) option
      /// Keras EarlyStopping on validation loss: stop after Patience epochs without an
      /// improvement larger than MinDelta.
      EarlyStopping: (int * float) option }

    static member Epochs n = { MaxEpochs = n; Stabilisation = None; EarlyStopping = None }

/// Why a trial ended.
[<RequireQualifiedAccess>]
type StopReason =
    | MaxEpochs
    | LossStabilised
    | EarlyStopped
    | Diverged

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

    /// Epochs since the best validation loss improved by more than minDelta (Keras's `wait`).
    let epochsWithoutImprovement (minDelta: float) (valLosses: float list) =
        let mutable best = infinity
        let mutable wait = 0
        for v in valLosses do
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
            | Some(patience, minDelta) when not valLosses.IsEmpty -> epochsWithoutImprovement minDelta valLosses >= patience
            | _ -> false
        if stabilised then Some StopReason.LossStabilised
        elif early then Some StopReason.EarlyStopped
        elif epochs >= rule.MaxEpochs then Some StopReason.MaxEpochs
        else None

    let validate (rule: Stopping) =
        match rule with
        | { MaxEpochs = n } when n < 1 -> Error $"max_epochs must be >= 1, got {n}"
        | { Stabilisation = Some(d, p) } when d <= 0.0 || p < 1 -> Error $"stabilisation needs delta > 0 and patience >= 1, got {d}, {p}"
        | { EarlyStopping = Some(p, d) } when p < 1 || d < 0.0 -> Error $"early stopping needs patience >= 1 and min_delta >= 0, got {p}, {d}"
        | r -> Ok r
