namespace Lrbs.Core.Schedules

open System
open System.Globalization

/// The plateau trigger of Keras's ReduceLROnPlateau on the validation loss: an epoch
/// improves when loss < best - MinDelta; after Patience epochs without improvement the
/// schedule acts, then waits Cooldown epochs before counting again.
type Plateau = { Patience: int; MinDelta: float; Cooldown: int }

/// How the learning rate (and possibly the batch size) changes between epochs.
[<RequireQualifiedAccess>]
type Schedule =
    /// Learning rate and batch size fixed.
    | Constant
    /// lr <- lr * factor after every `every` epochs (e.g. 0.1 every 10).
    | StepDecay of factor: float * every: int
    /// Keras ReduceLROnPlateau: on the trigger, lr <- max(lr * factor, minLr), if lr > minLr.
    | ReduceOnPlateau of factor: float * minLr: float * Plateau
    /// The same trigger growing the batch: batch <- min(batch * factor, maxBatch), if below maxBatch.
    | GrowBatchOnPlateau of factor: int * maxBatch: int * Plateau
    /// A batch-size warm-up given as points (Merrill et al. 2025, "Critical Batch Size
    /// Revisited", §4: "start the batch size small and increase it as the CBS grows"): from epoch
    /// E on (E >= 2, increasing), batch size B at learning rate LR; before the first point, the
    /// trial's own batch size and learning rate. BatchWarmup builds it from a measured CBS(t).
    | BatchPoints of points: (int * int * float) list

/// The schedule's state between epochs.
type ScheduleState = { Lr: float; BatchSize: int; Best: float; Wait: int; Cooldown: int }

module Schedule =
    /// Keras's defaults for the plateau trigger.
    let defaultPlateau patience = { Patience = patience; MinDelta = 1e-4; Cooldown = 0 }

    let start lr batchSize = { Lr = lr; BatchSize = batchSize; Best = infinity; Wait = 0; Cooldown = 0 }

    /// Whether the schedule watches the validation loss (and so needs a validation split).
    let needsValidation =
        function
        | Schedule.ReduceOnPlateau _
        | Schedule.GrowBatchOnPlateau _ -> true
        | Schedule.Constant
        | Schedule.StepDecay _
        | Schedule.BatchPoints _ -> false

    /// Whether the schedule changes the batch size (such trials cannot share a packed step).
    let changesBatch =
        function
        | Schedule.GrowBatchOnPlateau _
        | Schedule.BatchPoints _ -> true
        | _ -> false

    /// Keras's on_epoch_end bookkeeping: the new state and whether the trigger fired.
    let private trigger (p: Plateau) (monitored: float) (s: ScheduleState) =
        let s = if s.Cooldown > 0 then { s with Cooldown = s.Cooldown - 1; Wait = 0 } else s

        if monitored < s.Best - p.MinDelta then
            { s with Best = monitored; Wait = 0 }, false
        elif s.Cooldown > 0 then
            s, false
        else
            let s = { s with Wait = s.Wait + 1 }
            s, s.Wait >= p.Patience

    /// The state for the next epoch, after `epoch` (1-based) finished with validation loss `monitored`.
    let next (schedule: Schedule) (epoch: int) (monitored: float) (s: ScheduleState) =
        match schedule with
        | Schedule.Constant -> s
        | Schedule.StepDecay(factor, every) -> if epoch % every = 0 then { s with Lr = s.Lr * factor } else s
        | Schedule.ReduceOnPlateau(factor, minLr, p) ->
            match trigger p monitored s with
            | s', true when s'.Lr > float (float32 minLr) -> { s' with Lr = max (s'.Lr * factor) minLr; Cooldown = p.Cooldown; Wait = 0 }
            | s', _ -> s'
        | Schedule.GrowBatchOnPlateau(factor, maxBatch, p) ->
            match trigger p monitored s with
            | s', true when s'.BatchSize < maxBatch -> { s' with BatchSize = min (s'.BatchSize * factor) maxBatch; Cooldown = p.Cooldown; Wait = 0 }
            | s', _ -> s'
        | Schedule.BatchPoints points ->
            match points |> List.tryFind (fun (e, _, _) -> e = epoch + 1) with
            | Some(_, b, lr) -> { s with BatchSize = b; Lr = lr }
            | None -> s

    /// Checks the settings; errors name the field and echo the value.
    let validate (schedule: Schedule) =
        let plateau (p: Plateau) =
            if p.Patience < 1 then Some $"patience must be >= 1, got {p.Patience}"
            elif p.MinDelta < 0.0 then Some $"min_delta must be >= 0, got {p.MinDelta}"
            elif p.Cooldown < 0 then Some $"cooldown must be >= 0, got {p.Cooldown}"
            else None

        match schedule with
        | Schedule.StepDecay(f, k) when f <= 0.0 || k < 1 -> Error $"step decay needs factor > 0 and every >= 1, got {f}, {k}"
        | Schedule.ReduceOnPlateau(f, _, _) when f <= 0.0 || f >= 1.0 -> Error $"reduce-on-plateau needs 0 < factor < 1, got {f}"
        | Schedule.ReduceOnPlateau(_, m, _) when m < 0.0 -> Error $"reduce-on-plateau needs min_lr >= 0, got {m}"
        | Schedule.ReduceOnPlateau(_, _, p) when (plateau p).IsSome -> Error("reduce-on-plateau: " + (plateau p).Value)
        | Schedule.GrowBatchOnPlateau(f, m, _) when f < 2 || m < 1 -> Error $"grow-batch needs factor >= 2 and max_batch >= 1, got {f}, {m}"
        | Schedule.GrowBatchOnPlateau(_, _, p) when (plateau p).IsSome -> Error("grow-batch: " + (plateau p).Value)
        | Schedule.BatchPoints [] -> Error "batch-points needs one or more points EPOCH/BATCH/LR"
        | Schedule.BatchPoints((e, _, _) :: _) when e < 2 ->
            Error $"batch-points: the first point's epoch must be >= 2 (epoch 1 runs at batch_size and lr), got {e}"
        | Schedule.BatchPoints ps when ps |> List.pairwise |> List.exists (fun ((a, _, _), (b, _, _)) -> b <= a) ->
            Error "batch-points: the epochs must increase"
        | Schedule.BatchPoints ps when ps |> List.exists (fun (_, b, lr) -> b < 1 || not (lr > 0.0)) ->
            Error "batch-points: every batch size must be >= 1 and every learning rate > 0"
        | s -> Ok s

    let private r (v: float) = v.ToString("R", CultureInfo.InvariantCulture)

    /// The canonical text of a schedule, every setting spelled out (trial ids hash it).
    let canonical =
        function
        | Schedule.Constant -> "constant"
        | Schedule.StepDecay(f, k) -> $"step:{r f}:{k}"
        | Schedule.ReduceOnPlateau(f, m, p) -> $"plateau:{r f}:{p.Patience}:{r m}:{r p.MinDelta}:{p.Cooldown}"
        | Schedule.GrowBatchOnPlateau(f, m, p) -> $"grow-batch:{f}:{p.Patience}:{m}:{r p.MinDelta}:{p.Cooldown}"
        | Schedule.BatchPoints ps -> "batch-points:" + (ps |> List.map (fun (e, b, lr) -> $"{e}/{b}/{r lr}") |> String.concat ",")

    let private allowed =
        "constant, step:FACTOR:EVERY, plateau:FACTOR:PATIENCE[:MIN_LR[:MIN_DELTA[:COOLDOWN]]], "
        + "grow-batch:FACTOR:PATIENCE:MAX_BATCH[:MIN_DELTA[:COOLDOWN]], batch-points:EPOCH/BATCH/LR,..."

    /// Parses the forms of `allowed`; omitted plateau settings take Keras's defaults
    /// (min_lr 0, min_delta 1e-4, cooldown 0). The canonical text parses back to the same value.
    let parse (text: string) : Result<Schedule, string> =
        let f (s: string) =
            match Double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture) with
            | true, v when Double.IsFinite v -> Some v
            | _ -> None

        let i (s: string) =
            match Int32.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture) with
            | true, v -> Some v
            | _ -> None

        let plateau patience minDelta cooldown =
            match i patience, f minDelta, i cooldown with
            | Some p, Some d, Some c -> Some { Patience = p; MinDelta = d; Cooldown = c }
            | _ -> None

        let parsed =
            match text.Trim().ToLowerInvariant().Split(':') |> List.ofArray with
            | [ "constant" ] -> Some Schedule.Constant
            | [ "step"; a; b ] -> Option.map2 (fun x y -> Schedule.StepDecay(x, y)) (f a) (i b)
            | "plateau" :: a :: b :: rest when rest.Length <= 3 ->
                let at k d = if rest.Length > k then rest[k] else d
                Option.map3 (fun x m p -> Schedule.ReduceOnPlateau(x, m, p)) (f a) (f (at 0 "0")) (plateau b (at 1 "1e-4") (at 2 "0"))
            | "grow-batch" :: a :: b :: c :: rest when rest.Length <= 2 ->
                let at k d = if rest.Length > k then rest[k] else d
                Option.map3 (fun x m p -> Schedule.GrowBatchOnPlateau(x, m, p)) (i a) (i c) (plateau b (at 0 "1e-4") (at 1 "0"))
            | [ "batch-points"; points ] ->
                let point (p: string) =
                    match p.Split('/') with
                    | [| e; b; lr |] -> Option.map3 (fun e b lr -> e, b, lr) (i e) (i b) (f lr)
                    | _ -> None

                let ps = points.Split(',') |> Array.map point

                if ps |> Array.forall Option.isSome then
                    Some(Schedule.BatchPoints(ps |> Array.map Option.get |> List.ofArray))
                else
                    None
            | _ -> None

        match parsed with
        | Some s -> validate s
        | None -> Error $"unknown schedule '{text}'; allowed: {allowed}"
