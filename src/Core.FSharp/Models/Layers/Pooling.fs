/// MaxPool2D and AveragePool2D (pool x pool windows, strides pool, valid padding: Keras's
/// defaults) and GlobalAveragePool2D. Cost per example (n outputs, p x p windows): forward p p n
/// (comparisons or additions), backward n (max: each gradient to its maximum's place) or p p n
/// (average: spread over the window); global average: h w c each way. Native: src/Native/net/max_pool2d.cpp, average_pool2d.cpp,
/// global_average_pool2d.cpp.
module Lrbs.Core.Models.Layers.Pooling

open Lrbs.Core.Models

let private pooled name (what: string) (tfjs: string) (kept: int64) : LayerDef =
    {
        Name = name
        Doc = $"the {what} of each pool x pool window (strides pool, valid padding)"
        Keys = [ Keys.key "pool" (Some(Value.Number 2.0)) "window side (and stride)" (Keys.integer 1) ]
        Shorthand = Some "pool"
        HasActivation = false
        Random = false
        Output =
            fun args input ->
                let p = Keys.int args "pool"

                match input with
                | Shape.Image(c, h, w) when h >= p && w >= p -> Ok(Shape.Image(c, h / p, w / p))
                | Shape.Image _ -> Error $"a {p}x{p} window does not fit input {input}: the output would be below one pixel"
                | Shape.Vector _ -> Error $"needs an image input, got {input}"
        Weights = Keys.noWeights
        Native = fun args _ -> [ "pool", Keys.float args "pool" ]
        // max: its output and the position of each maximum (a byte); average: its output
        Kept = fun _ _ output -> kept * int64 output.Size
        Workspace = Keys.noWorkspace
        Cost =
            fun args input output ->
                let window = float (Keys.int args "pool" * Keys.int args "pool") * float output.Size
                Keys.cost window (if name = "max_pool2d" then float output.Size else window) (kept * int64 output.Size) input output
        Tfjs =
            fun args ->
                let p = Keys.int args "pool"
                Ok { Layer = tfjs; Config = [ "poolSize", box p; "strides", box p; "padding", box "valid" ]; Activation = None }
        Probe = Ok []
    }

let max = pooled "max_pool2d" "maximum" "maxPooling2d" 5L

let average = pooled "average_pool2d" "mean" "averagePooling2d" 4L

let globalAverage: LayerDef =
    {
        Name = "global_average_pool2d"
        Doc = "an image (h, w, c) becomes its c channel means"
        Keys = []
        Shorthand = None
        HasActivation = false
        Random = false
        Output =
            fun _ input ->
                match input with
                | Shape.Image(c, _, _) -> Ok(Shape.Vector c)
                | Shape.Vector _ -> Error $"needs an image input, got {input}"
        Weights = Keys.noWeights
        Native = Keys.noNative
        Kept = Keys.keepsOutput
        Workspace = Keys.noWorkspace
        Cost = fun _ input output -> Keys.cost (float input.Size) (float input.Size) (4L * int64 output.Size) input output
        Tfjs = fun _ -> Ok { Layer = "globalAveragePooling2d"; Config = []; Activation = None }
        Probe = Ok []
    }
