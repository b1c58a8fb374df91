/// Flatten, in Keras's channels-last order, so that weights after it match Keras's row for row.
/// Cost per example (n values): no FLOPs (a copy into channels-last order each way).
/// Native: src/Native/net/flatten.cpp.
module Lrbs.Core.Models.Layers.Reshaping

open Lrbs.Core.Models

let flatten: LayerDef =
    {
        Name = "flatten"
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
        Probe = Ok []
    }
