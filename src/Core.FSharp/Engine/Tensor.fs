namespace Lrbs.Core.Engine

open System
open System.Collections.Generic

/// A native libtorch tensor (float32 or int64) owned by .NET: data moved into the engine
/// (datasets, epoch orders) or out of it (predictions). Lifetime is deterministic: a
/// tensor is disposed explicitly, or by the innermost open Scope on this thread.
[<AllowNullLiteral>]
type Tensor internal (handle: nativeint) as this =
    let mutable h = handle
    let mutable owner: Scope = Scope.Current

    do
        if not (isNull owner) then
            owner.Register this

    /// The raw handle; throws if the tensor was disposed.
    member internal _.Handle =
        if h = 0n then
            raise (ObjectDisposedException("Tensor"))

        h

    member internal _.Owner
        with get () = owner
        and set v = owner <- v

    member _.IsDisposed = h = 0n

    /// Shape of the tensor.
    member t.Shape: int64[] =
        let buf = Array.zeroCreate<int64> 8
        let n = Native.lrbs_tensor_shape (t.Handle, buf, buf.Length) |> Native.checkCode
        buf[0 .. n - 1]

    member t.NumElements = Native.lrbs_tensor_numel t.Handle

    /// Copies the values out as float32 (row-major).
    member t.ToArray() : float32[] =
        let n = t.NumElements
        let out = Array.zeroCreate<float32>(int n)
        Native.lrbs_tensor_to_float32 (t.Handle, out, n) |> Native.checkCode |> ignore
        out

    /// Copies the values out as int64 (row-major).
    member t.ToInt64Array() : int64[] =
        let n = t.NumElements
        let out = Array.zeroCreate<int64>(int n)
        Native.lrbs_tensor_to_int64 (t.Handle, out, n) |> Native.checkCode |> ignore
        out

    /// Removes the tensor from its scope so that it outlives it; the caller now owns it.
    member t.Detach() =
        if not (isNull owner) then
            owner.Unregister t

        owner <- null
        t

    interface IDisposable with
        member _.Dispose() =
            if h <> 0n then
                Native.lrbs_tensor_dispose h
                h <- 0n

/// Collects every tensor created on this thread while it is open and disposes them
/// when it closes (like TorchSharp's DisposeScope). Scopes nest.
and [<AllowNullLiteral>] Scope() as this =
    [<ThreadStatic; DefaultValue>]
    static val mutable private current: Scope

    let parent = Scope.current
    let owned = HashSet<Tensor>(HashIdentity.Reference)
    do Scope.current <- this

    /// The innermost open scope on this thread, or null.
    static member Current = Scope.current

    member internal _.Register(t: Tensor) = owned.Add t |> ignore
    member internal _.Unregister(t: Tensor) = owned.Remove t |> ignore

    /// Moves a tensor to the enclosing scope (or to the caller if there is none).
    member _.MoveToOuter(t: Tensor) =
        owned.Remove t |> ignore
        t.Owner <- parent

        if not (isNull parent) then
            parent.Register t

        t

    interface IDisposable with
        member this.Dispose() =
            for t in owned do
                (t :> IDisposable).Dispose()

            owned.Clear()

            if Object.ReferenceEquals(Scope.current, this) then
                Scope.current <- parent

/// Process-wide engine settings.
module Runtime =
    /// Intra-op threads of libtorch and of the BLAS (process-wide: one per trial in sweeps).
    let setThreads (n: int) = Native.lrbs_runtime_set_threads n |> Native.checkCode |> ignore
    let threads () = Native.lrbs_runtime_get_threads () |> Native.checkCode
    /// Threads OpenBLAS uses now (0 when the BLAS is not OpenBLAS).
    let blasThreads () = Native.lrbs_runtime_blas_threads () |> Native.checkCode
    /// The BLAS kernel family OpenBLAS uses ("Haswell", "Cooperlake", ...; set by OPENBLAS_CORETYPE
    /// or detected): products round differently per family, so every trial records it.
    let blasCore () = Runtime.InteropServices.Marshal.PtrToStringUTF8(Native.lrbs_runtime_blas_core ())
    /// Native tensor and net handles alive right now (a leak check for tests).
    let liveHandles () = Native.lrbs_runtime_live_handles ()
    let libtorchVersion () = Runtime.InteropServices.Marshal.PtrToStringUTF8(Native.lrbs_runtime_version ())
    /// Fused CPU optimizer loops (true, the default) or the ATen sequence other devices use;
    /// returns the previous setting. Process-wide: for tests that compare the two.
    let fusedUpdates (enabled: bool) = Native.lrbs_runtime_fused_updates (if enabled then 1 else 0) = 1
    /// Max-pooling's AVX2 kernel (true, the default) or the scalar loop it reproduces bit for bit;
    /// returns the previous setting. Process-wide: for tests that compare the two.
    let vectorPooling (enabled: bool) = Native.lrbs_runtime_vector_pooling (if enabled then 1 else 0) = 1

    /// Narrow convolutions through the direct kernel (true, the default) or ATen's im2col kernels;
    /// returns the previous setting. For tests and the bench that compare the two.
    let directConv (enabled: bool) = Native.lrbs_runtime_direct_conv (if enabled then 1 else 0) = 1

    /// Dense layers of one member through the direct kernels (true, the default: BLAS and plain
    /// loops, ATen's bits) or ATen's operations; returns the previous setting. For tests and the bench.
    let directDense (enabled: bool) = Native.lrbs_runtime_direct_dense (if enabled then 1 else 0) = 1

    /// Forward passes of Dense layers through the direct kernels so far in this process.
    let directDensePasses () = Native.lrbs_runtime_direct_dense_passes ()
    /// The large-block cache (blocks of 16 MiB and more are kept for reuse): (bytes idle now,
    /// allocations served from it so far).
    let largeBlocks () = Native.lrbs_runtime_large_blocks_idle (), Native.lrbs_runtime_large_blocks_reused ()
    /// Returns every idle large block to the system (bytes released).
    let releaseLargeBlocks () = Native.lrbs_runtime_large_blocks_release ()
    /// Bytes of tensor memory the engine holds now.
    let memoryLive () = Native.lrbs_runtime_memory_live ()
    /// The most bytes of tensor memory the engine held since the last reset; `reset` restarts
    /// the peak from the live bytes.
    let memoryPeak (reset: bool) = Native.lrbs_runtime_memory_peak (if reset then 1 else 0)

/// Moving data into the engine. Every function returns a new tensor.
module T =
    let inline private wrap (h: nativeint) = new Tensor(Native.checkHandle h)

    let ofFloat32 (shape: int64[]) (data: float32[]) =
        let expected = Array.fold (*) 1L shape

        if int64 data.Length <> expected then
            invalidArg "data" $"shape %A{shape} needs {expected} values, got {data.Length}"

        wrap (Native.lrbs_tensor_from_float32 (data, shape, shape.Length))

    /// A tensor over `data` in place, not a copy, and the pin that keeps `data` where it is: the
    /// caller disposes the tensor, then frees the pin, and never lets the engine write into it.
    let viewOfFloat32 (shape: int64[]) (data: float32[]) =
        let expected = Array.fold (*) 1L shape

        if int64 data.Length <> expected then
            invalidArg "data" $"shape %A{shape} needs {expected} values, got {data.Length}"

        let pin = System.Runtime.InteropServices.GCHandle.Alloc(data, System.Runtime.InteropServices.GCHandleType.Pinned)

        try
            wrap (Native.lrbs_tensor_view_float32 (pin.AddrOfPinnedObject(), shape, shape.Length)), pin
        with _ ->
            pin.Free()
            reraise ()

    let ofInt64 (shape: int64[]) (data: int64[]) =
        let expected = Array.fold (*) 1L shape

        if int64 data.Length <> expected then
            invalidArg "data" $"shape %A{shape} needs {expected} values, got {data.Length}"

        wrap (Native.lrbs_tensor_from_int64 (data, shape, shape.Length))

    /// A handle returned by a native function (checked).
    let internal ofHandle (h: nativeint) = wrap h
