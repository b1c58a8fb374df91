/// Array layouts: Keras, image files and parity cases are channels-last (N, H, W, C); the engine
/// is channels-first (N, C, H, W).
module Lrbs.Core.Engine.Layout

/// (N, H, W, C) to (N, C, H, W): out[(k C + c) H W + p] = value((k H W + p) C + c), where
/// `value i` reads element i of the channels-last source (and may convert it, e.g. bytes to [0, 1]).
let channelsFirst (value: int -> float32) (n: int) (h: int) (w: int) (c: int) =
    let plane = h * w
    let x = Array.zeroCreate<float32>(n * plane * c)

    for k in 0 .. n - 1 do
        for p in 0 .. plane - 1 do
            for ch in 0 .. c - 1 do
                x[(k * c + ch) * plane + p] <- value ((k * plane + p) * c + ch)

    x
