/// The optimizers' update rules in float64 on plain arrays: the oracle that the engine's
/// in-place native updates (src/Native/net/sgd.cpp, adam.cpp) are tested against.
module Lrbs.Tests.OptimizerOracle

open Lrbs.Core.Optimizers

/// SGD state: the momentum buffer (Keras: velocity v; PyTorch: buffer b).
/// Returns (new weights, new buffer).
let sgd (c: SgdConfig) (lr: float) (buffer: float[]) (w: float[]) (g: float[]) =
    if c.Momentum = 0.0 then
        Array.map2 (fun wi gi -> wi - lr * gi) w g, buffer
    else
        let mu = c.Momentum
        match c.Form with
        | MomentumForm.Keras ->
            let v = Array.map2 (fun vi gi -> mu * vi - lr * gi) buffer g
            let w' =
                if c.Nesterov then Array.map3 (fun wi vi gi -> wi + mu * vi - lr * gi) w v g
                else Array.map2 (+) w v
            w', v
        | MomentumForm.PyTorch ->
            let b = Array.map2 (fun bi gi -> mu * bi + gi) buffer g
            let d = if c.Nesterov then Array.map2 (fun gi bi -> gi + mu * bi) g b else b
            Array.map2 (fun wi di -> wi - lr * di) w d, b

/// Adam state after `step` updates (t = step + 1 for the update being made).
type AdamState = { M: float[]; V: float[]; Step: int }

let adamInit n = { M = Array.zeroCreate n; V = Array.zeroCreate n; Step = 0 }

/// One Adam update. Returns (new weights, new state).
let adam (c: AdamConfig) (lr: float) (s: AdamState) (w: float[]) (g: float[]) =
    let t = float (s.Step + 1)
    let m = Array.map2 (fun mi gi -> mi + (gi - mi) * (1.0 - c.Beta1)) s.M g
    let v = Array.map2 (fun vi gi -> vi + (gi * gi - vi) * (1.0 - c.Beta2)) s.V g
    let bc1 = 1.0 - c.Beta1 ** t
    let bc2 = 1.0 - c.Beta2 ** t
    let w' =
        match c.Placement with
        | EpsilonPlacement.Keras ->
            let alpha = lr * sqrt bc2 / bc1
            Array.map3 (fun wi mi vi -> wi - alpha * mi / (sqrt vi + c.Epsilon)) w m v
        | EpsilonPlacement.BiasCorrected ->
            Array.map3 (fun wi mi vi -> wi - lr * (mi / bc1) / (sqrt (vi / bc2) + c.Epsilon)) w m v
    w', { M = m; V = v; Step = s.Step + 1 }
