/// The activations a Dense or Conv2D layer may apply (their maths and derivatives:
/// src/Native/net/activation.cpp, registered there under the same names).
module Lrbs.Core.Models.Activations

/// One activation: its name, its doc line, the default of its `alpha` where it takes one
/// (Keras 3: leaky_relu's negative_slope 0.2, elu's alpha 1.0), and how TensorFlow.js applies it.
type ActivationDef =
    {
        Name: string
        Doc: string
        Alpha: float option
        /// TF.js: an activation string for the layer's config, or a layer (name, config) after a
        /// linear one, or why TF.js cannot (reference/CASES.md).
        Tfjs: float -> Result<Choice<string, string * (string * obj) list>, string>
    }

let private plain name doc = { Name = name; Doc = doc; Alpha = None; Tfjs = fun _ -> Ok(Choice1Of2 name) }

let all =
    [
        plain "linear" "a = z"
        plain "relu" "a = max(z, 0)"
        plain "sigmoid" "a = 1 / (1 + exp(-z))"
        plain "tanh" "a = tanh z"
        plain "softmax" "a = exp(z) / sum exp(z), the last layer only"
        {
            Name = "leaky_relu"
            Doc = "a = z if z > 0 else alpha z (alpha: the negative slope, default 0.2)"
            Alpha = Some 0.2
            // TF.js has no leaky_relu string; its leakyReLU layer's own default is 0.3, so alpha is always written
            Tfjs = fun alpha -> Ok(Choice2Of2("leakyReLU", [ "alpha", box alpha ]))
        }
        {
            Name = "elu"
            Doc = "a = z if z > 0 else alpha (exp z - 1) (default alpha 1)"
            Alpha = Some 1.0
            // TF.js's elu layer throws for alpha other than 1 (advanced_activations.ts)
            Tfjs = fun alpha -> if alpha = 1.0 then Ok(Choice1Of2 "elu") else Error $"TensorFlow.js has elu with alpha 1 only, got {alpha}"
        }
        plain "gelu" "a = z (1 + erf(z / sqrt 2)) / 2, the exact form (Keras' default approximate=False)"
    ]

let names = all |> List.map (fun a -> a.Name)

let tryFind name = all |> List.tryFind (fun a -> a.Name = name)
