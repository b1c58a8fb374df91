/// Decoded, resized images kept on disk (DecodedCache), so that a sweep (and every later run)
/// decodes each image once; a changed or added image makes a new entry.
module Lrbs.Core.Data.ImageCache

open System
open System.Threading.Tasks
open Lrbs.Core.Engine

/// The pixels of every file (count x size x size x 3 bytes), and how many were decoded now
/// (0 when the cache had them). The first file that does not decode is the error.
let load (files: string[]) (size: int) : Result<byte[] * int, DataError> =
    let each = size * size * 3

    let decode () =
        let pixels = Array.zeroCreate<byte>(files.Length * each)
        let errors = Collections.Concurrent.ConcurrentDictionary<int, string>()

        Parallel.For(
            0,
            files.Length,
            ParallelOptions(MaxDegreeOfParallelism = Environment.ProcessorCount),
            fun i ->
                match Images.load files[i] size with
                | Ok rgb -> Buffer.BlockCopy(rgb, 0, pixels, i * each, each)
                | Error e -> errors[i] <- e
        )
        |> ignore

        if errors.IsEmpty then
            Ok pixels
        else
            let first = errors.Keys |> Seq.min
            Error(Malformed(files[first], errors[first].Replace(files[first] + ": ", "")))

    DecodedCache.getOrDecode $"images v2 {size}" (DecodedCache.Identities files) decode
    |> Result.map (fun (pixels, now) -> pixels, (if now then files.Length else 0))

/// Pixels (n x size x size x 3 bytes) as the engine's float inputs (n x 3 x size x size) in [0, 1].
let toChannelsFirst (pixels: byte[]) (size: int) =
    Lrbs.Core.Engine.Layout.channelsFirst (fun i -> float32 pixels[i] / 255.0f) (pixels.Length / (size * size * 3)) size size 3
