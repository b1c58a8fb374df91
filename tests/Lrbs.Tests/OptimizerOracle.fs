/// The optimizers' update rules in float64 on plain arrays: the oracle that the engine's
/// in-place native updates (src/Native/net/sgd.cpp, adam.cpp) are tested against, for packed
/// members with their own learning rates. (The parity matrix checks every kind against the
/// Python oracle, reference/python/run_case.py.)
module Lrbs.Tests.OptimizerOracle

open Lrbs.Core.Optimizers

/// The optimizer of a name, with keys over its defaults.
let optimizerWith (name: string) (keys: (string * float) list) =
    match OptimizerSpec.create name keys with
    | Ok s -> s
    | Error e -> invalidArg name e

/// Keras 3's decoupled weight decay, before the update: w -= lr wd w.
let private decay (o: OptimizerSpec) (lr: float) (w: float[]) =
    match o.Settings.TryFind "weight_decay" with
    | Some wd when wd > 0.0 -> Array.map (fun wi -> wi - lr * wd * wi) w
    | _ -> w

/// SGD state: the momentum buffer (Keras: velocity v; PyTorch: buffer b).
/// Returns (new weights, new buffer).
let sgd (o: OptimizerSpec) (lr: float) (buffer: float[]) (w: float[]) (g: float[]) =
    let w = decay o lr w
    let mu = o.Get "momentum"

    if mu = 0.0 then
        Array.map2 (fun wi gi -> wi - lr * gi) w g, buffer
    elif not (o.Flag "pytorch_form") then
        let v = Array.map2 (fun vi gi -> mu * vi - lr * gi) buffer g
        let w' = if o.Flag "nesterov" then Array.map3 (fun wi vi gi -> wi + mu * vi - lr * gi) w v g else Array.map2 (+) w v
        w', v
    else
        let b = Array.map2 (fun bi gi -> mu * bi + gi) buffer g
        let d = if o.Flag "nesterov" then Array.map2 (fun gi bi -> gi + mu * bi) g b else b
        Array.map2 (fun wi di -> wi - lr * di) w d, b

/// Adam state after `step` updates (t = step + 1 for the update being made).
type AdamState = { M: float[]; V: float[]; Step: int }

let adamInit n = { M = Array.zeroCreate n; V = Array.zeroCreate n; Step = 0 }

/// One Adam (or AdamW) update. Returns (new weights, new state).
let adam (o: OptimizerSpec) (lr: float) (s: AdamState) (w: float[]) (g: float[]) =
    let w = decay o lr w
    let b1, b2, eps = o.Get "beta1", o.Get "beta2", o.Get "epsilon"
    let t = float (s.Step + 1)
    let m = Array.map2 (fun mi gi -> mi + (gi - mi) * (1.0 - b1)) s.M g
    let v = Array.map2 (fun vi gi -> vi + (gi * gi - vi) * (1.0 - b2)) s.V g
    let bc1 = 1.0 - b1 ** t
    let bc2 = 1.0 - b2 ** t

    let w' =
        if o.Flag "bias_corrected" then
            Array.map3 (fun wi mi vi -> wi - lr * (mi / bc1) / (sqrt (vi / bc2) + eps)) w m v
        else
            let alpha = lr * sqrt bc2 / bc1
            Array.map3 (fun wi mi vi -> wi - alpha * mi / (sqrt vi + eps)) w m v

    w', { M = m; V = v; Step = s.Step + 1 }
