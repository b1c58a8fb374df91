namespace Lrbs.Core.Schedules

/// How the learning rate (and possibly the batch size) changes between epochs.
[<RequireQualifiedAccess>]
type Schedule =
    /// Learning rate and batch size fixed.
    | Constant
    /// lr *= factor every `every` epochs (e.g. 0.1 every 10).
    | StepDecay of factor: float * every: int
    /// Keras ReduceLROnPlateau: when the monitored loss has not improved by more than
    /// 1e-4 for `patience` epochs, lr = max(lr * factor, minLr) and the wait restarts.
    | ReduceOnPlateau of factor: float * patience: int * minLr: float
    /// The same trigger, growing the batch size: batch = min(batch * factor, maxBatch).
    | GrowBatchOnPlateau of factor: int * patience: int * maxBatch: int

/// The schedule's state between epochs.
type ScheduleState =
    { Lr: float
      BatchSize: int
      Best: float
      Wait: int }

module Schedule =
    /// Keras's default min_delta for plateau detection.
    [<Literal>]
    let MinDelta = 1e-4

    let start lr batchSize = { Lr = lr; BatchSize = batchSize; Best = infinity; Wait = 0 }

    /// The state for the next epoch, after `epoch` (1-based) finished with `monitored` loss.
    let next (schedule: Schedule) (epoch: int) (monitored: float) (s: ScheduleState) =
        let plateau patience =
            if monitored < s.Best - MinDelta then { s with Best = monitored; Wait = 0 }, false
            else
                let wait = s.Wait + 1
                if wait >= patience then { s with Wait = 0 }, true else { s with Wait = wait }, false
        match schedule with
        | Schedule.Constant -> s
        | Schedule.StepDecay(factor, every) -> if epoch % every = 0 then { s with Lr = s.Lr * factor } else s
        | Schedule.ReduceOnPlateau(factor, patience, minLr) ->
            let s', fire = plateau patience
            if fire then { s' with Lr = max (s.Lr * factor) minLr } else s'
        | Schedule.GrowBatchOnPlateau(factor, patience, maxBatch) ->
            let s', fire = plateau patience
            if fire then { s' with BatchSize = min (s.BatchSize * factor) maxBatch } else s'

    /// Checks the settings; errors name the field and echo the value.
    let validate (schedule: Schedule) =
        match schedule with
        | Schedule.StepDecay(f, k) when f <= 0.0 || k < 1 -> Error $"step decay needs factor > 0 and every >= 1, got {f}, {k}"
        | Schedule.ReduceOnPlateau(f, p, m) when f <= 0.0 || f >= 1.0 || p < 1 || m < 0.0 ->
            Error $"reduce-on-plateau needs 0 < factor < 1, patience >= 1, min_lr >= 0; got {f}, {p}, {m}"
        | Schedule.GrowBatchOnPlateau(f, p, m) when f < 2 || p < 1 || m < 1 ->
            Error $"grow-batch-on-plateau needs factor >= 2, patience >= 1, max_batch >= 1; got {f}, {p}, {m}"
        | s -> Ok s

    /// Parses "constant", "step:FACTOR:EVERY", "plateau:FACTOR:PATIENCE[:MIN_LR]" or
    /// "grow-batch:FACTOR:PATIENCE:MAX_BATCH".
    let parse (text: string) : Result<Schedule, string> =
        let inv = System.Globalization.CultureInfo.InvariantCulture
        let f (s: string) = System.Double.TryParse(s, System.Globalization.NumberStyles.Float, inv) |> function | true, v -> Some v | _ -> None
        let i (s: string) = System.Int32.TryParse(s, System.Globalization.NumberStyles.Integer, inv) |> function | true, v -> Some v | _ -> None
        let parsed =
            match text.Trim().ToLowerInvariant().Split(':') with
            | [| "constant" |] -> Some Schedule.Constant
            | [| "step"; a; b |] -> Option.map2 (fun x y -> Schedule.StepDecay(x, y)) (f a) (i b)
            | [| "plateau"; a; b |] -> Option.map2 (fun x y -> Schedule.ReduceOnPlateau(x, y, 0.0)) (f a) (i b)
            | [| "plateau"; a; b; c |] -> Option.map3 (fun x y z -> Schedule.ReduceOnPlateau(x, y, z)) (f a) (i b) (f c)
            | [| "grow-batch"; a; b; c |] -> Option.map3 (fun x y z -> Schedule.GrowBatchOnPlateau(x, y, z)) (i a) (i b) (i c)
            | _ -> None
        match parsed with
        | Some s -> validate s
        | None ->
            Error $"unknown schedule '{text}'; allowed: constant, step:FACTOR:EVERY, plateau:FACTOR:PATIENCE[:MIN_LR], grow-batch:FACTOR:PATIENCE:MAX_BATCH"
