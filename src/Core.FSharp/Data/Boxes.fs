/// S7's synthetic boxes (seed study: Chassagne): 128x128 binary images, black with one
/// white axis-aligned rectangle; the target is its (x1, y1, x2, y2) corners over the side
/// (upper-left inclusive, lower-right exclusive), each in [0, 1]. Deterministic from a seed.
module Lrbs.Core.Data.Boxes

open Lrbs.Core.Engine
open Lrbs.Core.Models

/// The side of the images.
[<Literal>]
let Side = 128

/// How many images the study generates.
[<Literal>]
let Count = 10000

/// Rectangle sides are drawn uniformly from this range (pixels, inclusive).
let sides = 4, 100

/// `count` images from `seed` as a Source: each rectangle's width and height uniform in
/// `sides`, its upper-left corner uniform over the positions where it fits. Only the rectangles
/// are drawn here (in image order, one stream); an image's pixels are written when a partition
/// asks for its row.
let source (seed: int) (count: int) : Source =
    let rng = Rng.Derive(uint64 seed, "boxes")
    let lo, hi = sides
    let corners = Array.zeroCreate<int>(count * 4) // x1, y1, w, h per image
    let y = Array.zeroCreate<float32>(count * 4)

    for i in 0 .. count - 1 do
        let w = lo + rng.NextInt(hi - lo + 1)
        let h = lo + rng.NextInt(hi - lo + 1)
        let x1 = rng.NextInt(Side - w + 1)
        let y1 = rng.NextInt(Side - h + 1)
        corners[i * 4 .. i * 4 + 3] <- [| x1; y1; w; h |]
        let s = float32 Side
        y[i * 4] <- float32 x1 / s
        y[i * 4 + 1] <- float32 y1 / s
        y[i * 4 + 2] <- float32 (x1 + w) / s
        y[i * 4 + 3] <- float32 (y1 + h) / s

    let writeRow (i: int) (into: float32[]) (offset: int) =
        let x1, y1, w, h = corners[i * 4], corners[i * 4 + 1], corners[i * 4 + 2], corners[i * 4 + 3]
        System.Array.Fill(into, 0.0f, offset, Side * Side)

        for row in y1 .. y1 + h - 1 do
            System.Array.Fill(into, 1.0f, offset + row * Side + x1, w)

    {
        Name = "boxes"
        Input = Shape.Image(1, Side, Side)
        Count = count
        Targets = Targets.Boxes y
        OfficialTrain = None
        WriteRow = writeRow
    }

/// Every image of `source seed count`, in float32.
let generate (seed: int) (count: int) : Dataset = Source.all (source seed count)
