/// Dropout, active only while training (Keras's `Dropout(rate)`: "randomly sets input units to 0
/// with a frequency of rate at each step during training time ... inputs not set to 0 are scaled
/// up by 1 / (1 - rate)"). Cost per example (n values): forward 2n (the mask's draw and the
/// scale), backward n. Native: src/Native/net/dropout.cpp.
module Lrbs.Core.Models.Layers.Dropout

open Lrbs.Core.Models

let def: LayerDef =
    {
        Name = "dropout"
        Doc = "while training, keeps each value with probability 1 - rate and scales it by 1 / (1 - rate)"
        Keys = [ Keys.key "rate" None "the fraction dropped, in [0, 1)" (Keys.range 0.0 1.0) ]
        Shorthand = Some "rate"
        HasActivation = false
        Random = true
        Output = fun _ input -> Ok input
        Weights = Keys.noWeights
        Native = fun args _ -> [ "rate", Keys.float args "rate" ]
        // its output and its mask
        Kept = fun _ _ output -> 8L * int64 output.Size
        Workspace = Keys.noWorkspace
        Cost = fun _ input output -> Keys.cost (2.0 * float input.Size) (float input.Size) (8L * int64 output.Size) input output
        Tfjs = fun _ -> Error "parity cases train without dropout (its masks are random)"
        Probe = Error "its masks are random: the references cannot draw the same ones"
    }
