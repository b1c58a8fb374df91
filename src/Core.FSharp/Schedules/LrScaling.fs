namespace Lrbs.Core.Schedules

open System

/// How the learning rate follows the batch size.
[<RequireQualifiedAccess>]
type ScalingRule =
    /// lr = lr0 (B / B0): the linear rule (Goyal et al. 2017).
    | Linear
    /// lr = lr0 sqrt(B / B0): the square-root rule (Krizhevsky 2014; Hoffer et al. 2017).
    | SquareRoot

/// A trial's learning rate from a base: lr0 (the trial's `lr`) is right for batch size
/// BaseBatch, and a trial at batch size B trains with the scaled rate; during the first
/// WarmupEpochs epochs the rate rises linearly, step by step, from lr0 to the scaled rate.
type LrScaling =
    { Rule: ScalingRule
      BaseBatch: int
      WarmupEpochs: int }

module LrScaling =
    let exponent =
        function
        | ScalingRule.Linear -> 1.0
        | ScalingRule.SquareRoot -> 0.5

    /// lr0 (B / B0)^k.
    let scaled (s: LrScaling) (lr0: float) (batch: int) = lr0 * Math.Pow(float batch / float s.BaseBatch, exponent s.Rule)

    /// The rate of warm-up step t (0-based) of T: lr0 + (target - lr0) t / T; from step T on, target.
    let warmup (lr0: float) (target: float) (steps: int) (t: int) =
        if t >= steps || steps <= 0 then target else lr0 + (target - lr0) * float t / float steps

    let ruleName =
        function
        | ScalingRule.Linear -> "linear"
        | ScalingRule.SquareRoot -> "sqrt"

    let parseRule =
        function
        | "linear" -> Ok(Some ScalingRule.Linear)
        | "sqrt" -> Ok(Some ScalingRule.SquareRoot)
        | "none" -> Ok None
        | other -> Error $"unknown scaling rule '{other}'; allowed: none, linear, sqrt"
