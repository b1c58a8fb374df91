namespace Lrbs.Core.Optimizers

open Lrbs.Core.Engine

/// Adam (Kingma & Ba) with Keras defaults beta1 0.9, beta2 0.999, epsilon 1e-7.
///   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
///   Keras placement:       alpha = lr sqrt(1 - b2^t)/(1 - b1^t);  w -= alpha m / (sqrt v + eps)
///   bias-corrected (PyTorch, TF.js): w -= lr (m/(1 - b1^t)) / (sqrt(v/(1 - b2^t)) + eps)
type Adam(parameters: Tensor[], config: AdamConfig) =
    inherit Optimizer(parameters)

    member _.Config = config

    override _.Build p = [| T.zeros p.Shape; T.zeros p.Shape |]

    override _.UpdateStep(w, g, state, lr, t) =
        let m, v = state[0], state[1]
        use _ = new Scope()
        T.addInPlace m (1.0 - config.Beta1) (g - m)
        T.addInPlace v (1.0 - config.Beta2) (T.square g - v)
        let bc1 = 1.0 - config.Beta1 ** float t
        let bc2 = 1.0 - config.Beta2 ** float t
        match config.Placement with
        | EpsilonPlacement.Keras ->
            let alpha = lr * sqrt bc2 / bc1
            T.addcdivInPlace w -alpha m (T.sqrt v + config.Epsilon)
        | EpsilonPlacement.BiasCorrected ->
            let denom = T.sqrt v * (1.0 / sqrt bc2) + config.Epsilon
            T.addcdivInPlace w (-lr / bc1) m denom
