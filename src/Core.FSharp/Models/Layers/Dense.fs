/// Dense(units, activation), as Keras: a = act(x W + b), W of shape (in, units).
/// Cost per example (n inputs, u units): forward 2nu (x W) + 2u (bias, activation); backward 2nu
/// (the input's gradient) + 2nu (the kernel's) + 2u (the bias's, the activation's).
/// Native: src/Native/net/dense.cpp.
module Lrbs.Core.Models.Layers.Dense

open Lrbs.Core.Models

let def: LayerDef =
    {
        Name = "dense"
        Doc = "a = act(x W + b); kernel (in, units), bias (units)"
        Keys = [ Keys.key "units" None "output width" (Keys.integer 1) ]
        Shorthand = Some "units"
        HasActivation = true
        Random = false
        Output =
            fun args input ->
                match input with
                | Shape.Vector _ -> Ok(Shape.Vector(Keys.int args "units"))
                | Shape.Image _ -> Error $"needs a flat input, got {input}: add flatten (or global_average_pool2d) before it"
        Weights =
            fun args input ->
                let u = Keys.int args "units"
                [ { Role = Role.Kernel; Shape = [| input.Size; u |] }; { Role = Role.Bias; Shape = [| u |] } ]
        Native = fun args _ -> [ "units", Keys.float args "units" ]
        // its output before and after the activation
        Kept = fun _ _ output -> 8L * int64 output.Size
        Workspace = Keys.noWorkspace
        Cost =
            fun _ input output ->
                let n, u = float input.Size, float output.Size
                Keys.cost (2.0 * n * u + 2.0 * u) (4.0 * n * u + 2.0 * u) (8L * int64 output.Size) input output
        Tfjs = fun args -> Ok { Layer = "dense"; Config = [ "units", box (Keys.int args "units") ]; Activation = None }
        Probe = Ok [ "units", Value.Number 6.0; "activation", Value.Text "relu" ]
    }
