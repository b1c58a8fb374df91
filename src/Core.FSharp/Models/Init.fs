/// Keras-default initialisation drawn from our seeded generator.
module Lrbs.Core.Models.Init

open Lrbs.Core.Engine

/// Keras's glorot_uniform limit: sqrt(6 / (fan_in + fan_out)); for a conv kernel
/// (kh, kw, in, out) the fans are in*kh*kw and out*kh*kw.
let glorotLimit (fanIn: int) (fanOut: int) = sqrt (6.0 / float (fanIn + fanOut))

/// n values uniform in [-limit, limit), as float32, in the order drawn.
let uniform (rng: Rng) (limit: float) (n: int) = Array.init n (fun _ -> float32 ((rng.NextDouble() * 2.0 - 1.0) * limit))
