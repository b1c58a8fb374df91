/// The optimizers, each with Keras's (or optax's) names and defaults, its rule and its source.
/// A new optimizer is one entry here and one native file (src/Native/net/NAME.cpp).
module Lrbs.Core.Optimizers.Kinds

open Lrbs.Core.Optimizers.HyperKey

let private flagArg (s: Map<string, float>) k = box (s[k] = 1.0)

let private momentum = key "momentum" 0.0 "momentum mu in [0, 1); 0 disables it" (range 0.0 1.0)
let private nesterov = key "nesterov" 0.0 "Nesterov momentum (needs momentum > 0)" flag

let private weightDecay =
    key "weight_decay" 0.0 "decoupled weight decay: w -= lr wd w before the update (Keras 3)" (atLeast 0.0)

let private beta1 = key "beta1" 0.9 "first moment decay, in [0, 1)" (range 0.0 1.0)
let private beta2 = key "beta2" 0.999 "second moment decay, in [0, 1)" (range 0.0 1.0)
let private needsMomentum (s: Map<string, float>) = if s["nesterov"] = 1.0 && s["momentum"] = 0.0 then Error "key 'nesterov': needs momentum > 0" else Ok()
let private noDecayInTfjs (s: Map<string, float>) = if s["weight_decay"] > 0.0 then Error "TensorFlow.js optimizers have no weight decay" else Ok()

/// SGD (Keras 3 keras/src/optimizers/sgd.py): without momentum w -= lr g; Keras form
/// v = mu v - lr g, w += v (Nesterov w += mu v - lr g); PyTorch form (pytorch_form) b = mu b + g,
/// w -= lr b (Nesterov w -= lr (g + mu b)). The forms part once the learning rate changes.
let sgd =
    {
        Name = "sgd"
        Doc = "w -= lr g, with (Nesterov) momentum in the Keras or PyTorch form; Keras 3 sgd.py"
        Keys =
            [
                momentum
                nesterov
                key "pytorch_form" 0.0 "momentum as PyTorch and TF.js: b = mu b + g; w -= lr b" flag
                weightDecay
            ]
        DefaultLr = 0.01
        StateSlots = fun s -> if s["momentum"] = 0.0 then 0 else 1
        Check = needsMomentum
        Tfjs =
            fun s ->
                noDecayInTfjs s
                |> Result.bind (fun () ->
                    if s["momentum"] = 0.0 then Ok { Fn = "sgd"; Args = [ box "lr" ] }
                    elif s["pytorch_form"] = 1.0 then Ok { Fn = "momentum"; Args = [ box "lr"; box s["momentum"]; flagArg s "nesterov" ] }
                    else Error "TensorFlow.js has no sgd in the keras momentum form")
    }

let private adamKeys =
    [
        beta1
        beta2
        key "epsilon" 1e-7 "added to the denominator, > 0" positive
        key "bias_corrected" 0.0 "epsilon after bias correction (PyTorch, TF.js) instead of Keras's placement" flag
    ]

let private adamTfjs (s: Map<string, float>) =
    if s["bias_corrected"] = 0.0 then
        Error "TensorFlow.js has no adam in the keras epsilon placement"
    else
        Ok { Fn = "adam"; Args = [ box "lr"; box s["beta1"]; box s["beta2"]; box s["epsilon"] ] }

/// Adam (Kingma & Ba; Keras 3 adam.py): m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); Keras
/// placement w -= lr sqrt(1 - b2^t)/(1 - b1^t) m / (sqrt v + eps); bias-corrected
/// w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
let adam =
    {
        Name = "adam"
        Doc = "Adam, Keras 3 adam.py (Keras's epsilon placement, or bias-corrected as PyTorch and TF.js)"
        Keys = adamKeys
        DefaultLr = 0.001
        StateSlots = fun _ -> 3 // m, v and the denominator's workspace (src/Native/net/adam.cpp)
        Check = fun _ -> Ok()
        Tfjs = adamTfjs
    }

/// AdamW (Loshchilov & Hutter; Keras 3 adamw.py): Adam after the decoupled weight decay
/// w -= lr wd w (default wd 0.004), applied to every parameter.
let adamw =
    { adam with
        Name = "adamw"
        Doc = "Adam with decoupled weight decay w -= lr wd w before the update; Keras 3 adamw.py"
        Keys = adamKeys @ [ { weightDecay with Default = 0.004 } ]
        Tfjs = fun _ -> Error "TensorFlow.js has no adamw"
    }

/// LARS (You, Gitman & Ginsburg 2017) as optax.lars: u = g + wd w; u *= eta |w| / (|u| + eps)
/// per parameter array (1 where a norm is 0); b = momentum b - lr u; w += b (Nesterov:
/// w += momentum b - lr u). Every parameter in the decay and the trust ratio (optax's masks).
let lars =
    {
        Name = "lars"
        Doc = "layer-wise trust ratio eta |w| / |g + wd w| with momentum; optax.lars"
        Keys =
            [
                { momentum with Default = 0.9 }
                nesterov
                { weightDecay with Doc = "L2 term added to the gradient before the trust ratio (optax add_decayed_weights)" }
                key "eta" 0.001 "trust coefficient (optax's trust_coefficient), > 0" positive
                key "epsilon" 0.0 "added to the update's norm, >= 0" (atLeast 0.0)
            ]
        DefaultLr = 0.01
        StateSlots = fun _ -> 1
        Check = needsMomentum
        Tfjs = fun _ -> Error "TensorFlow.js has no lars"
    }

/// LAMB (You et al. 2019) as optax.lamb: Adam's bias-corrected direction u = mhat / (sqrt vhat +
/// eps) + wd w, scaled by the trust ratio |w| / |u| per parameter array (1 where a norm is 0):
/// w -= lr ratio u. Every parameter in the decay and the trust ratio (optax's default mask).
let lamb =
    {
        Name = "lamb"
        Doc = "Adam's direction plus weight decay, scaled by the trust ratio |w| / |u|; optax.lamb"
        Keys =
            [
                beta1
                beta2
                key "epsilon" 1e-6 "added to the denominator, > 0 (optax's default 1e-6)" positive
                { weightDecay with Doc = "added to Adam's direction before the trust ratio (optax add_decayed_weights)" }
            ]
        DefaultLr = 0.001
        StateSlots = fun _ -> 2
        Check = fun _ -> Ok()
        Tfjs = fun _ -> Error "TensorFlow.js has no lamb"
    }

/// RMSprop (Keras 3 rmsprop.py): v = rho v + (1 - rho) g^2; centered a = rho a + (1 - rho) g and
/// d = v - a^2 + eps, else d = v + eps; u = lr g / sqrt(d); with momentum b = momentum b + u,
/// w -= b, else w -= u. TF.js's tf.train.rmsprop is the same rule uncentered (its centered form
/// subtracts epsilon).
let rmsprop =
    {
        Name = "rmsprop"
        Doc = "w -= lr g / sqrt(v + eps), v the moving mean of g^2 (centered: of its variance), with momentum; Keras 3 rmsprop.py"
        Keys =
            [
                key "rho" 0.9 "decay of the moving mean of g^2, in [0, 1)" (range 0.0 1.0)
                momentum
                key "epsilon" 1e-7 "added to the mean square inside the root, > 0" positive
                key "centered" 0.0 "divide by the estimated variance of g instead of its second moment" flag
                weightDecay
            ]
        DefaultLr = 0.001
        StateSlots = fun s -> 1 + (if s["centered"] = 1.0 then 1 else 0) + (if s["momentum"] > 0.0 then 1 else 0)
        Check = fun _ -> Ok()
        Tfjs =
            fun s ->
                noDecayInTfjs s
                |> Result.bind (fun () ->
                    if s["centered"] = 1.0 then
                        Error "TensorFlow.js's centered rmsprop subtracts epsilon (rmsprop_optimizer.ts)"
                    else
                        Ok { Fn = "rmsprop"; Args = [ box "lr"; box s["rho"]; box s["momentum"]; box s["epsilon"]; box false ] })
    }

/// Every optimizer kind; the engine checks at load that its native registry has the same names.
let all = [ sgd; adam; adamw; lars; lamb; rmsprop ]
