/// The critical batch size measured directly at one point of training (Merrill, Arora,
/// Groeneveld and Hajishirzi 2025, "Critical Batch Size Revisited", arXiv 2505.23971, §3.1):
/// from a checkpoint of a reference run at batch size B, branches train at batch sizes k B (the
/// learning rate set by a scaling rule) for a window of Δ examples, each ending at a smoothed
/// loss L_k. "We then define k* as the maximum k such that, for all k < k*, L_k* ≤ L_k + ϵ,
/// where ϵ is a tolerance parameter for 'similar' losses" (ϵ = 0.01, "which we set to 0.01
/// arbitrarily"; an absolute difference of losses). §3.2: "We define the interval for the CBS at
/// each checkpoint by choosing B* ... as a lower bound, and by picking the least k > k* as an
/// upper bound. The plotted point represents the geometric mean of these interval endpoints."
/// Where the largest branch keeps up, nothing above it was tried: the estimate is a lower bound
/// (`Upper` None), said so, never a number.
module Lrbs.Core.Analysis.CriticalBatchDirect

open System

/// The paper's tolerance ϵ on the loss (absolute).
let defaultTolerance = 0.01

/// The paper's smoothing: "we apply exponentially moving average smoothing with parameter α set
/// to 0.5" to the branch's loss curve; its last smoothed value is L_k.
let defaultSmoothing = 0.5

/// A branch's loss curve smoothed as the paper does, s_0 = x_0, s_i = α x_i + (1 - α) s_(i-1);
/// the last value. NaN for an empty curve; a curve with a non-finite point (a branch that
/// diverged) ends at +infinity, so it never keeps up.
let smoothedLast (alpha: float) (losses: float[]) =
    if losses.Length = 0 then nan
    elif losses |> Array.exists (fun l -> not (Double.IsFinite l)) then infinity
    else losses |> Array.reduce (fun s x -> alpha * x + (1.0 - alpha) * s)

/// One branch at a checkpoint: its batch size and its loss L_k after the window.
type Branch = { BatchSize: int; Loss: float }

/// The critical batch size at a checkpoint: the largest branch that kept up (`Lower`), the
/// smallest tried above it (`Upper`; None when none was), and the geometric mean of the two
/// (`Lower` itself when `Upper` is None: a bound).
type Estimate =
    {
        Lower: int
        Upper: int option
        Point: float
    }

    member e.IsBound = e.Upper.IsNone

/// k* at one checkpoint (the maximum batch size whose loss is within `tolerance` of every smaller
/// branch's, the paper's literal reading: a larger batch size that keeps up counts even if one
/// between did not). Errors name the problem: a tolerance that is not positive, fewer than two
/// branches, a batch size given twice, a loss that is NaN (not measured).
let estimate (tolerance: float) (branches: Branch seq) : Result<Estimate, string> =
    let bs = branches |> Seq.sortBy (fun b -> b.BatchSize) |> Array.ofSeq

    if not (tolerance > 0.0 && Double.IsFinite tolerance) then
        Error $"tolerance: expected a positive number, got {tolerance}"
    elif bs.Length < 2 then
        Error $"branches: a critical batch size needs two or more branch batch sizes, got {bs.Length}"
    elif (bs |> Array.map (fun b -> b.BatchSize) |> Array.distinct).Length < bs.Length then
        Error "branches: a batch size is given twice"
    elif bs |> Array.exists (fun b -> Double.IsNaN b.Loss) then
        Error "branches: a branch's loss is not measured (NaN)"
    else
        let keepsUp i = bs[0 .. i - 1] |> Array.forall (fun smaller -> bs[i].Loss <= smaller.Loss + tolerance)
        let star = [| 0 .. bs.Length - 1 |] |> Array.filter keepsUp |> Array.max
        let lower = bs[star].BatchSize
        let upper = if star + 1 < bs.Length then Some bs[star + 1].BatchSize else None

        Ok
            {
                Lower = lower
                Upper = upper
                Point =
                    (match upper with
                     | Some u -> sqrt (float lower * float u)
                     | None -> float lower)
            }

/// The estimate at a checkpoint over repeats: the point from each batch size's mean loss over the
/// repeats, and the range of the repeats' own points (each repeat estimated alone) as its
/// interval, with whether any repeat's estimate was a bound. `repeats` holds one branch list per
/// repeat.
type OverRepeats = { Estimate: Estimate; Low: float; High: float; Repeats: int; AnyBound: bool }

let overRepeats (tolerance: float) (repeats: Branch list list) : Result<OverRepeats, string> =
    if repeats.IsEmpty then
        Error "branches: no repeats"
    else
        let mean =
            repeats
            |> List.concat
            |> List.groupBy (fun b -> b.BatchSize)
            |> List.map (fun (b, xs) -> { BatchSize = b; Loss = xs |> List.averageBy (fun x -> x.Loss) })

        let each = repeats |> List.map (estimate tolerance)

        match
            estimate tolerance mean,
            each
            |> List.tryPick (function
                | Error e -> Some e
                | Ok _ -> None)
        with
        | Error e, _
        | _, Some e -> Error e
        | Ok est, None ->
            let points =
                each
                |> List.choose (function
                    | Ok e -> Some e
                    | Error _ -> None)

            Ok
                {
                    Estimate = est
                    Low = points |> List.map (fun e -> e.Point) |> List.min
                    High = points |> List.map (fun e -> e.Point) |> List.max
                    Repeats = points.Length
                    AnyBound = points |> List.exists (fun e -> e.IsBound)
                }
