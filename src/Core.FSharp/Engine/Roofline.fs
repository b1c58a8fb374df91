/// This machine's bounds, measured where the bench runs (Williams, Waterman and Patterson 2009,
/// "Roofline"): a step of F FLOPs that moves M bytes cannot take less than max(F / peak, M / bw)
/// seconds, with peak the float32 matrix-product rate (the BLAS's SGEMM on large square matrices)
/// and bw the streaming bandwidth of the memory level that holds the step's working set (a
/// STREAM-style triad over buffers sized for L2, L3 and far beyond them). The fraction of its
/// bound a case reaches is that time over its measured time.
module Lrbs.Core.Engine.Roofline

open System
open System.IO

/// A memory level: its name and the bytes the triad's three arrays span together there.
type Level = { Name: string; Bytes: int64 }

/// A level's measured triad bandwidth, GB/s.
type Stream = { Level: Level; GBs: float }

/// The measured bounds at one thread count: GFLOP/s of SGEMM (side `Side`) and the triad's
/// bandwidth per level, smallest level first.
type Machine = { Threads: int; Side: int; Gflops: float; Bandwidth: Stream[] }

/// The least time a step can take here, and which bound sets it: "compute" or a level's name.
type Bound = { Seconds: float; By: string }

/// The size of each cache level of CPU 0 in bytes (from /sys), by level number; empty where
/// the kernel does not say.
let caches () : Map<int, int64> =
    let dir = "/sys/devices/system/cpu/cpu0/cache"

    if not (Directory.Exists dir) then
        Map.empty
    else
        Directory.GetDirectories(dir, "index*")
        |> Array.choose (fun d ->
            try
                let kind = File.ReadAllText(Path.Combine(d, "type")).Trim()
                let level = int (File.ReadAllText(Path.Combine(d, "level")).Trim())
                let size = File.ReadAllText(Path.Combine(d, "size")).Trim()

                let bytes =
                    if size.EndsWith "K" then int64 size[.. size.Length - 2] * 1024L
                    elif size.EndsWith "M" then int64 size[.. size.Length - 2] * 1024L * 1024L
                    else int64 size

                if kind = "Instruction" then None else Some(level, bytes)
            with _ ->
                None)
        |> Map.ofArray

/// The triad's levels: half of L2, half of L3 (a step's weights and activations share the
/// cache with everything else) and 8 times L3 (memory). Defaults of 1 MiB and 32 MiB where /sys
/// says nothing.
let levels (caches: Map<int, int64>) =
    let l2 = caches |> Map.tryFind 2 |> Option.defaultValue (1L <<< 20)
    let l3 = caches |> Map.tryFind 3 |> Option.defaultValue (32L <<< 20)
    [ { Name = "L2"; Bytes = l2 / 2L }; { Name = "L3"; Bytes = l3 / 2L }; { Name = "memory"; Bytes = 8L * l3 } ]

/// Seconds of one `side` x `side` float32 product at `threads` threads, best of `repeats`.
let sgemmSeconds (side: int) (threads: int) (repeats: int) =
    let mutable s = 0.0
    Native.lrbs_roofline_sgemm (side, threads, repeats, &s) |> Native.checkCode |> ignore
    s

/// Seconds of one triad over `bytes` (three arrays together) at `threads` threads, best of
/// `repeats`; enough triads per timed run to fill about 50 ms.
let triadSeconds (bytes: int64) (threads: int) (repeats: int) =
    let elements = max 1L (bytes / 12L)
    let passes = int (max 1L (min 100000L ((600L <<< 20) / max 1L bytes)))
    let mutable s = 0.0
    Native.lrbs_roofline_triad (elements, passes, threads, repeats, &s) |> Native.checkCode |> ignore
    s

/// Measures the bounds at `threads` threads (the caller restores its thread count).
let measure (side: int) (threads: int) (repeats: int) : Machine =
    let gflops = 2.0 * float side ** 3.0 / sgemmSeconds side threads repeats / 1e9

    let bandwidth =
        levels (caches ())
        |> List.map (fun l -> { Level = l; GBs = float l.Bytes / triadSeconds l.Bytes threads repeats / 1e9 })
        |> Array.ofList

    { Threads = threads; Side = side; Gflops = gflops; Bandwidth = bandwidth }

/// The level that serves a working set: the first whose triad span holds it, else the last.
let levelFor (m: Machine) (workingSet: float) =
    m.Bandwidth
    |> Array.tryFind (fun s -> workingSet <= float s.Level.Bytes)
    |> Option.defaultValue (Array.last m.Bandwidth)

/// The least time a step of `flops` FLOPs moving `bytes` bytes with this working set can take
/// here, and which bound sets it ("compute" or the level's name).
let bound (m: Machine) (flops: float) (bytes: float) (workingSet: float) : Bound =
    let stream = levelFor m workingSet
    let compute = flops / (m.Gflops * 1e9)
    let memory = bytes / (stream.GBs * 1e9)

    if compute >= memory then { Seconds = compute; By = "compute" } else { Seconds = memory; By = stream.Level.Name }
