/// Decoded, resized images kept on disk, so that a sweep (and every later run) decodes each
/// image once. The cache file's name hashes the image size and every file's path, length and
/// modification time: a changed or added image makes a new entry. The folder is $LRBS_CACHE,
/// else $XDG_CACHE_HOME/lrbs, else ~/.cache/lrbs.
module Lrbs.Core.Data.ImageCache

open System
open System.IO
open System.Security.Cryptography
open System.Text
open System.Threading.Tasks
open Lrbs.Core.Engine

let folder () =
    match Environment.GetEnvironmentVariable "LRBS_CACHE", Environment.GetEnvironmentVariable "XDG_CACHE_HOME" with
    | null, null
    | "", null
    | null, ""
    | "", "" -> Path.Combine(Environment.GetFolderPath Environment.SpecialFolder.UserProfile, ".cache", "lrbs")
    | (null | ""), xdg -> Path.Combine(xdg, "lrbs")
    | dir, _ -> dir

let private key (files: string[]) (size: int) =
    let text = StringBuilder($"lrbs-images v1|{size}")
    for f in files do
        let info = FileInfo f
        text.Append('|').Append(info.FullName).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks) |> ignore
    Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()))).ToLowerInvariant().Substring(0, 24)

/// The pixels of every file (count x size x size x 3 bytes), and how many were decoded now
/// (0 when the cache had them). The first file that does not decode is the error.
let load (files: string[]) (size: int) : Result<byte[] * int, DataError> =
    let each = size * size * 3
    let path = Path.Combine(folder (), $"images-{key files size}.bin")
    if File.Exists path && FileInfo(path).Length = int64 (files.Length * each) then
        Ok(File.ReadAllBytes path, 0)
    else
        let pixels = Array.zeroCreate<byte> (files.Length * each)
        let errors = Collections.Concurrent.ConcurrentDictionary<int, string>()
        Parallel.For(0, files.Length, ParallelOptions(MaxDegreeOfParallelism = Environment.ProcessorCount), fun i ->
            match Images.load files[i] size with
            | Ok rgb -> Buffer.BlockCopy(rgb, 0, pixels, i * each, each)
            | Error e -> errors[i] <- e)
        |> ignore
        if not errors.IsEmpty then
            let first = errors.Keys |> Seq.min
            Error(Malformed(files[first], errors[first].Replace(files[first] + ": ", "")))
        else
            try
                Directory.CreateDirectory(Path.GetDirectoryName path) |> ignore
                let temp = path + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}"
                File.WriteAllBytes(temp, pixels)
                File.Move(temp, path, true)
            with :? IOException | :? UnauthorizedAccessException -> () // no cache folder: decode again next time
            Ok(pixels, files.Length)

/// Pixels (n x size x size x 3 bytes) as the engine's float inputs (n x 3 x size x size) in [0, 1].
let toChannelsFirst (pixels: byte[]) (size: int) =
    Lrbs.Core.Engine.Layout.channelsFirst (fun i -> float32 pixels[i] / 255.0f) (pixels.Length / (size * size * 3)) size size 3
