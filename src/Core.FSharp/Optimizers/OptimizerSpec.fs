namespace Lrbs.Core.Optimizers

/// Which momentum recursion SGD uses. They agree while the learning rate is
/// constant and differ once it changes.
[<RequireQualifiedAccess>]
type MomentumForm =
    /// Keras: v = mu v - lr g; w += v  (Nesterov: w += mu v - lr g).
    | Keras
    /// PyTorch: b = mu b + g; w -= lr b  (Nesterov: w -= lr (g + mu b)).
    | PyTorch

/// Where Adam adds epsilon.
[<RequireQualifiedAccess>]
type EpsilonPlacement =
    /// Keras (keras 3, tf.keras >= 2.11): alpha = lr sqrt(1-b2^t)/(1-b1^t); w -= alpha m / (sqrt v + eps).
    | Keras
    /// PyTorch / TensorFlow.js: w -= lr mhat / (sqrt vhat + eps), mhat = m/(1-b1^t), vhat = v/(1-b2^t).
    | BiasCorrected

/// SGD hyper-parameters (Keras defaults: momentum 0, no Nesterov).
type SgdConfig =
    { /// Momentum mu in [0, 1); 0 disables it.
      Momentum: float
      /// Nesterov momentum (requires Momentum > 0).
      Nesterov: bool
      /// Which recursion to use when Momentum > 0.
      Form: MomentumForm }

    static member Default = { Momentum = 0.0; Nesterov = false; Form = MomentumForm.Keras }

/// Adam hyper-parameters (Keras defaults: 0.9, 0.999, 1e-7, Keras placement).
type AdamConfig =
    { Beta1: float
      Beta2: float
      Epsilon: float
      Placement: EpsilonPlacement }

    static member Default = { Beta1 = 0.9; Beta2 = 0.999; Epsilon = 1e-7; Placement = EpsilonPlacement.Keras }

/// An optimizer and its hyper-parameters (the learning rate is given per step).
[<RequireQualifiedAccess>]
type OptimizerSpec =
    | Sgd of SgdConfig
    | Adam of AdamConfig

module OptimizerSpec =
    /// Checks the hyper-parameters; errors name the field and echo the value.
    let validate (spec: OptimizerSpec) : Result<OptimizerSpec, string> =
        match spec with
        | OptimizerSpec.Sgd c when c.Momentum < 0.0 || c.Momentum >= 1.0 ->
            Error $"momentum must be in [0, 1), got {c.Momentum}"
        | OptimizerSpec.Sgd c when c.Nesterov && c.Momentum = 0.0 -> Error "nesterov needs momentum > 0"
        | OptimizerSpec.Adam c when c.Beta1 < 0.0 || c.Beta1 >= 1.0 -> Error $"beta1 must be in [0, 1), got {c.Beta1}"
        | OptimizerSpec.Adam c when c.Beta2 < 0.0 || c.Beta2 >= 1.0 -> Error $"beta2 must be in [0, 1), got {c.Beta2}"
        | OptimizerSpec.Adam c when c.Epsilon <= 0.0 -> Error $"epsilon must be > 0, got {c.Epsilon}"
        | s -> Ok s

    /// The names accepted on the command line and in sweep files.
    let names = [ "sgd"; "sgd-momentum"; "sgd-nesterov"; "sgd-momentum-torch"; "adam"; "adam-bias-corrected" ]

    /// The optimizer for a name with Keras defaults (momentum variants use mu = 0.9).
    let ofName (name: string) : Result<OptimizerSpec, string> =
        let m form nesterov = OptimizerSpec.Sgd { Momentum = 0.9; Nesterov = nesterov; Form = form }
        match name.ToLowerInvariant() with
        | "sgd" -> Ok(OptimizerSpec.Sgd SgdConfig.Default)
        | "sgd-momentum" -> Ok(m MomentumForm.Keras false)
        | "sgd-nesterov" -> Ok(m MomentumForm.Keras true)
        | "sgd-momentum-torch" -> Ok(m MomentumForm.PyTorch false)
        | "adam" -> Ok(OptimizerSpec.Adam AdamConfig.Default)
        | "adam-bias-corrected" -> Ok(OptimizerSpec.Adam { AdamConfig.Default with Placement = EpsilonPlacement.BiasCorrected })
        | other -> Error $"""unknown optimizer '{other}'; allowed: {String.concat ", " names}"""
