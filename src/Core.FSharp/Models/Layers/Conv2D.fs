/// Conv2D(filters, kernel x kernel, stride, padding, activation), as Keras (channels last;
/// "same" padding puts the odd pixel at the bottom/right, as TensorFlow). Cost per example (c
/// input channels, f filters, k x k kernel, an h x w output): m = k k c f h w multiply-adds;
/// forward 2m + 2 f h w (bias, activation), backward 4m (the input's and the kernel's gradients)
/// + 2 f h w. Native: src/Native/net/conv2d.cpp.
module Lrbs.Core.Models.Layers.Conv2D

open Lrbs.Core.Models

/// Keras "same"/"valid" output size and the (before, after) padding of one axis.
let axis (padding: Padding) (size: int) (kernel: int) (stride: int) =
    match padding with
    | Padding.Valid -> (size - kernel) / stride + 1, (0, 0)
    | Padding.Same ->
        let out = (size + stride - 1) / stride
        let total = max ((out - 1) * stride + kernel - size) 0
        out, (total / 2, total - total / 2)

let padding (args: Args) = if Keys.text args "padding" = "same" then Padding.Same else Padding.Valid

let private dims (args: Args) = Keys.int args "filters", Keys.int args "kernel", Keys.int args "stride", padding args

/// The conv2d layer's definition. (A record, not a function: its names, keys and ranges, shapes,
/// weights, cost formula and TF.js form in one place, as every layer file keeps them.)
let def: LayerDef =
    {
        Name = "conv2d"
        Doc = "a = act(conv(x, W) + b); kernel (k, k, in, filters), bias (filters)"
        Keys =
            [
                Keys.key "filters" None "output channels" (Keys.integer 1)
                Keys.key "kernel" None "kernel side k (k x k)" (Keys.integer 1)
                Keys.key "stride" (Some(Value.Number 1.0)) "stride on both axes" (Keys.integer 1)
                Keys.key "padding" (Some(Value.Text "valid")) "valid or same (Keras's default: valid)" (Keys.oneOf [ "valid"; "same" ])
            ]
        Shorthand = None
        HasActivation = true
        Random = false
        Output =
            fun args input ->
                let f, k, s, p = dims args

                match input with
                | Shape.Image(_, h, w) ->
                    let oh, _ = axis p h k s
                    let ow, _ = axis p w k s
                    if oh < 1 || ow < 1 then Error $"a {k}x{k} kernel does not fit input {input}" else Ok(Shape.Image(f, oh, ow))
                | Shape.Vector _ -> Error $"needs an image input, got {input}"
        Weights =
            fun args input ->
                let f, k, _, _ = dims args

                let c =
                    match input with
                    | Shape.Image(c, _, _) -> c
                    | Shape.Vector n -> n

                [ { Role = Role.Kernel; Shape = [| k; k; c; f |] }; { Role = Role.Bias; Shape = [| f |] } ]
        Native =
            fun args input ->
                let f, k, s, p = dims args

                let h, w =
                    match input with
                    | Shape.Image(_, h, w) -> h, w
                    | Shape.Vector _ -> 0, 0

                let _, (top, bottom) = axis p h k s
                let _, (left, right) = axis p w k s

                [
                    "filters", float f
                    "kernel", float k
                    "stride", float s
                    "pad_top", float top
                    "pad_bottom", float bottom
                    "pad_left", float left
                    "pad_right", float right
                ]
        Kept = fun _ _ output -> 8L * int64 output.Size
        // the unfolded input (im2col): C k k values per output pixel
        Workspace =
            fun args input output ->
                let _, k, _, _ = dims args

                match input, output with
                | Shape.Image(c, _, _), Shape.Image(_, h, w) -> int64 c * int64 k * int64 k * int64 h * int64 w
                | _ -> 0L
        Cost =
            fun args input output ->
                let _, k, _, _ = dims args

                match input, output with
                | Shape.Image(c, _, _), Shape.Image(f, h, w) ->
                    let m = float k * float k * float c * float f * float h * float w
                    let outs = float f * float h * float w
                    Keys.cost (2.0 * m + 2.0 * outs) (4.0 * m + 2.0 * outs) (8L * int64 output.Size) input output
                | _ -> Cost.Zero
        Tfjs =
            fun args ->
                let f, k, s, _ = dims args

                Ok
                    {
                        Layer = "conv2d"
                        Config = [ "filters", box f; "kernelSize", box k; "strides", box s; "padding", box (Keys.text args "padding") ]
                        Activation = None
                    }
        Probe =
            Ok
                [
                    "filters", Value.Number 3.0
                    "kernel", Value.Number 3.0
                    "stride", Value.Number 2.0
                    "padding", Value.Text "same"
                    "activation", Value.Text "relu"
                ]
    }
