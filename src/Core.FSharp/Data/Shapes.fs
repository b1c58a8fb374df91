/// A stand-in image-folder dataset, generated: each class is a drawn shape (circle, square,
/// triangle, cross, ring, diamond, horizontal bar, vertical bar) of random size, place and
/// colour on a random background, with pixel noise; half the files PNG, half JPEG. It lets
/// the image-folder studies (S4, S5) run end to end here; it is not their data.
module Lrbs.Core.Data.Shapes

open System
open System.IO
open Lrbs.Core.Engine

let names = [| "circle"; "square"; "triangle"; "cross"; "ring"; "diamond"; "hbar"; "vbar" |]

/// Whether (dx, dy) from the centre lies in shape k of radius r.
let private inside k (dx: float) (dy: float) (r: float) =
    let ax, ay = abs dx, abs dy

    match k with
    | 0 -> dx * dx + dy * dy <= r * r
    | 1 -> ax <= r && ay <= r
    | 2 -> dy >= -r && dy <= r && ax <= (dy + r) / 2.0
    | 3 -> (ax <= r / 3.0 && ay <= r) || (ay <= r / 3.0 && ax <= r)
    | 4 -> let d = sqrt (dx * dx + dy * dy) in d <= r && d >= r / 2.0
    | 5 -> ax + ay <= r
    | 6 -> ax <= r && ay <= r / 3.0
    | _ -> ay <= r && ax <= r / 3.0

/// One image of class k, size x size RGB.
let draw (rng: Rng) (k: int) (size: int) =
    let channel () = rng.NextInt 256
    let background = [| channel () / 2; channel () / 2; channel () / 2 |]
    let colour = [| 128 + channel () / 2; 128 + channel () / 2; 128 + channel () / 2 |]
    let r = float size * (0.18 + 0.17 * rng.NextDouble())
    let cx = r + (float size - 2.0 * r) * rng.NextDouble()
    let cy = r + (float size - 2.0 * r) * rng.NextDouble()
    let rgb = Array.zeroCreate<byte>(size * size * 3)

    for y in 0 .. size - 1 do
        for x in 0 .. size - 1 do
            let c = if inside k (float x + 0.5 - cx) (float y + 0.5 - cy) r then colour else background

            for ch in 0..2 do
                rgb[(y * size + x) * 3 + ch] <- byte (Math.Clamp(c[ch] + rng.NextInt 41 - 20, 0, 255))

    rgb

/// Writes DIR/CLASS/NNNN.png|jpg for `classes` classes of `perClass` images; returns the file count.
let write (dir: string) (classes: int) (perClass: int) (size: int) (seed: int) =
    if classes < 2 || classes > names.Length then
        invalidArg "classes" $"classes must be in 2..{names.Length}, got {classes}"

    if perClass < 1 then
        invalidArg "perClass" $"images per class must be >= 1, got {perClass}"

    if size < 8 then
        invalidArg "size" $"size must be >= 8, got {size}"

    let rng = Rng.Derive(uint64 seed, "shapes")

    for k in 0 .. classes - 1 do
        let folder = Path.Combine(dir, names[k])
        Directory.CreateDirectory folder |> ignore

        for i in 0 .. perClass - 1 do
            Images.save (Path.Combine(folder, sprintf "%04d.%s" i (if i % 2 = 0 then "png" else "jpg"))) (draw rng k size) size size

    classes * perClass
