namespace Lrbs.Core.Optimizers

open Lrbs.Core.Engine

/// Stochastic gradient descent, with optional (Nesterov) momentum in the Keras or
/// the PyTorch form. Defaults (Keras): momentum 0, nesterov false.
///   no momentum:  w -= lr g
///   Keras:        v = mu v - lr g;  w += v            (Nesterov: w += mu v - lr g)
///   PyTorch:      b = mu b + g;     w -= lr b         (Nesterov: w -= lr (g + mu b))
type Sgd(parameters: Tensor[], config: SgdConfig) =
    inherit Optimizer(parameters)

    member _.Config = config

    override _.Build p =
        if config.Momentum = 0.0 then [||] else [| T.zeros p.Shape |]

    override _.UpdateStep(w, g, state, lr, _) =
        let mu = config.Momentum
        if mu = 0.0 then
            T.addInPlace w -lr g
        else
            let buf = state[0]
            match config.Form with
            | MomentumForm.Keras ->
                T.mulInPlace buf mu
                T.addInPlace buf -lr g
                if config.Nesterov then
                    T.addInPlace w mu buf
                    T.addInPlace w -lr g
                else
                    T.addInPlace w 1.0 buf
            | MomentumForm.PyTorch ->
                T.mulInPlace buf mu
                T.addInPlace buf 1.0 g
                if config.Nesterov then
                    T.addInPlace w -lr g
                    T.addInPlace w (-lr * mu) buf
                else
                    T.addInPlace w -lr buf
