/// Thread counts decided before the native libraries load. OpenBLAS sizes its thread
/// pool and OpenMP its team from the environment when they load, and every sweep
/// worker is a thread of one process: left alone, each worker's BLAS call would start
/// a thread per core and two workers would fight over two cores. .NET's own
/// Environment.SetEnvironmentVariable does not reach native getenv on Linux, so this
/// calls libc directly.
module Lrbs.Core.Engine.ThreadEnvironment

open System.Runtime.InteropServices

[<DllImport("libc", CallingConvention = CallingConvention.Cdecl)>]
extern int private setenv(string name, string value, int overwrite)

[<DllImport("libc", CallingConvention = CallingConvention.Cdecl)>]
extern nativeint private getenv(string name)

/// The variables that size the native thread pools.
let variables = [ "OPENBLAS_NUM_THREADS"; "OMP_NUM_THREADS"; "MKL_NUM_THREADS" ]

/// The native process environment's value of a variable, if set.
let get (name: string) =
    let p = getenv name
    if p = 0n then None else Some(Marshal.PtrToStringUTF8 p)

/// Sets every thread-pool variable to `threads` where the user has not set it. Call it
/// first thing, before anything touches the engine (the host and the tests do).
let configure (threads: int) =
    for v in variables do
        setenv (v, string threads, 0) |> ignore
