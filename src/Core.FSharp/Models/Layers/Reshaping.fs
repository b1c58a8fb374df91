/// Flatten (in Keras's channels-last order, so that weights after it match Keras's row for row)
/// and Dropout (active only while training). Cost per example (n values): flatten no FLOPs (a
/// copy into channels-last order each way); dropout forward 2n (the mask's draw and the scale),
/// backward n. Native: src/Native/net/flatten.cpp, dropout.cpp.
module Lrbs.Core.Models.Layers.Reshaping

open Lrbs.Core.Models

let flatten: LayerDef =
    { Name = "flatten"
      Doc = "an image (h, w, c) becomes the vector of its h w c values, channels last"
      Keys = []
      Shorthand = None
      HasActivation = false
      Random = false
      Output = fun _ input -> Ok(Shape.Vector input.Size)
      Weights = Keys.noWeights
      Native = Keys.noNative
      Kept = Keys.keepsOutput
      Workspace = Keys.noWorkspace
      Cost = fun _ input output -> Keys.cost 0.0 0.0 0L input output
      Tfjs = fun _ -> Ok { Layer = "flatten"; Config = []; Activation = None }
      Probe = Ok [] }

let dropout: LayerDef =
    { Name = "dropout"
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
      Probe = Error "its masks are random: the references cannot draw the same ones" }
