/// Steps (updates) to reach a target metric (Shallue et al. 2019): per trial, the cumulative
/// steps at the end of the first epoch whose test metric reaches the target.
module Lrbs.Core.Analysis.Targets

/// epochs: (steps in that epoch, test metric at its end), in order.
let stepsToReach (target: float) (epochs: (int * float)[]) =
    let mutable steps = 0
    let mutable hit = None

    for s, m in epochs do
        steps <- steps + s

        if hit.IsNone && m >= target then
            hit <- Some steps

    hit
