/// Builds the runtime optimizer for a spec.
module Lrbs.Core.Optimizers.Factory

open Lrbs.Core.Engine

let create (spec: OptimizerSpec) (parameters: Tensor[]) : Optimizer =
    match spec with
    | OptimizerSpec.Sgd c -> new Sgd(parameters, c)
    | OptimizerSpec.Adam c -> new Adam(parameters, c)
