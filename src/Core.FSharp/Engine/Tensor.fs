namespace Lrbs.Core.Engine

open System
open System.Collections.Generic

/// A native libtorch tensor (float32 or int64) owned by .NET.
/// Lifetime is deterministic: a tensor is disposed explicitly, or by the
/// innermost open Scope on this thread that it was created in.
[<AllowNullLiteral>]
type Tensor internal (handle: nativeint) as this =
    let mutable h = handle
    let mutable owner: Scope = Scope.Current
    do if not (isNull owner) then owner.Register this

    /// The raw handle; throws if the tensor was disposed.
    member internal _.Handle =
        if h = 0n then raise (ObjectDisposedException("Tensor"))
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

    /// The single value of a one-element tensor, as float.
    member t.Item =
        let v = Native.lrbs_tensor_item t.Handle
        if Double.IsNaN v && Native.lastError () <> "" then raise (NativeException(Native.lastError ()))
        v

    /// Copies the values out as float32 (row-major).
    member t.ToArray() : float32[] =
        let n = t.NumElements
        let out = Array.zeroCreate<float32> (int n)
        Native.lrbs_tensor_to_float32 (t.Handle, out, n) |> Native.checkCode |> ignore
        out

    /// Copies the values out as int64 (row-major).
    member t.ToInt64Array() : int64[] =
        let n = t.NumElements
        let out = Array.zeroCreate<int64> (int n)
        Native.lrbs_tensor_to_int64 (t.Handle, out, n) |> Native.checkCode |> ignore
        out

    /// Removes the tensor from its scope so that it outlives it; the caller now owns it.
    member t.Detach() =
        if not (isNull owner) then owner.Unregister t
        owner <- null
        t

    static member private Wrap(h: nativeint) = new Tensor(Native.checkHandle h)
    static member (+)(a: Tensor, b: Tensor) = Tensor.Wrap(Native.lrbs_ops_add (a.Handle, b.Handle))
    static member (-)(a: Tensor, b: Tensor) = Tensor.Wrap(Native.lrbs_ops_sub (a.Handle, b.Handle))
    static member (*)(a: Tensor, b: Tensor) = Tensor.Wrap(Native.lrbs_ops_mul (a.Handle, b.Handle))
    static member (/)(a: Tensor, b: Tensor) = Tensor.Wrap(Native.lrbs_ops_div (a.Handle, b.Handle))
    static member (+)(a: Tensor, s: float) = Tensor.Wrap(Native.lrbs_ops_add_scalar (a.Handle, s))
    static member (*)(a: Tensor, s: float) = Tensor.Wrap(Native.lrbs_ops_mul_scalar (a.Handle, s))
    static member (~-)(a: Tensor) = Tensor.Wrap(Native.lrbs_ops_neg a.Handle)

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
        if not (isNull parent) then parent.Register t
        t

    interface IDisposable with
        member this.Dispose() =
            for t in owned do
                (t :> IDisposable).Dispose()
            owned.Clear()
            if Object.ReferenceEquals(Scope.current, this) then Scope.current <- parent

/// Turns gradient recording off on this thread until disposed.
type NoGrad() =
    let previous = Native.lrbs_autograd_set_enabled 0 |> Native.checkCode
    interface IDisposable with
        member _.Dispose() = Native.lrbs_autograd_set_enabled previous |> ignore

/// Process-wide engine settings.
module Runtime =
    /// Number of intra-op threads libtorch uses (set it explicitly: one per trial in sweeps).
    let setThreads (n: int) = Native.lrbs_runtime_set_threads n |> Native.checkCode |> ignore
    let threads () = Native.lrbs_runtime_get_threads () |> Native.checkCode
    /// Seeds libtorch's own generator (dropout masks).
    let manualSeed (seed: uint64) = Native.lrbs_runtime_manual_seed seed |> Native.checkCode |> ignore
    /// Native tensor handles alive right now (a leak check for tests).
    let liveTensors () = Native.lrbs_runtime_live_tensors ()
    let libtorchVersion () = Runtime.InteropServices.Marshal.PtrToStringUTF8(Native.lrbs_runtime_version ())

/// Tensor creation and operations. Every function returns a new tensor.
module T =
    let inline private wrap (h: nativeint) = new Tensor(Native.checkHandle h)

    let ofFloat32 (shape: int64[]) (data: float32[]) =
        let expected = Array.fold (*) 1L shape
        if int64 data.Length <> expected then
            invalidArg "data" $"shape %A{shape} needs {expected} values, got {data.Length}"
        wrap (Native.lrbs_tensor_from_float32 (data, shape, shape.Length))

    let ofInt64 (shape: int64[]) (data: int64[]) =
        let expected = Array.fold (*) 1L shape
        if int64 data.Length <> expected then
            invalidArg "data" $"shape %A{shape} needs {expected} values, got {data.Length}"
        wrap (Native.lrbs_tensor_from_int64 (data, shape, shape.Length))

    let zeros (shape: int64[]) = wrap (Native.lrbs_tensor_zeros (shape, shape.Length))
    let scalar (v: float) = wrap (Native.lrbs_tensor_scalar v)
    let clone (a: Tensor) = wrap (Native.lrbs_tensor_clone a.Handle)
    let detach (a: Tensor) = wrap (Native.lrbs_tensor_detach a.Handle)

    let add (a: Tensor) (b: Tensor) = wrap (Native.lrbs_ops_add (a.Handle, b.Handle))
    let sub (a: Tensor) (b: Tensor) = wrap (Native.lrbs_ops_sub (a.Handle, b.Handle))
    let mul (a: Tensor) (b: Tensor) = wrap (Native.lrbs_ops_mul (a.Handle, b.Handle))
    let div (a: Tensor) (b: Tensor) = wrap (Native.lrbs_ops_div (a.Handle, b.Handle))
    let addScalar (s: float) (a: Tensor) = wrap (Native.lrbs_ops_add_scalar (a.Handle, s))
    let mulScalar (s: float) (a: Tensor) = wrap (Native.lrbs_ops_mul_scalar (a.Handle, s))
    let neg (a: Tensor) = wrap (Native.lrbs_ops_neg a.Handle)
    let log (a: Tensor) = wrap (Native.lrbs_ops_log a.Handle)
    let exp (a: Tensor) = wrap (Native.lrbs_ops_exp a.Handle)
    let sqrt (a: Tensor) = wrap (Native.lrbs_ops_sqrt a.Handle)
    let square (a: Tensor) = wrap (Native.lrbs_ops_square a.Handle)
    let clamp (lo: float) (hi: float) (a: Tensor) = wrap (Native.lrbs_ops_clamp (a.Handle, lo, hi))
    let maximum (a: Tensor) (b: Tensor) = wrap (Native.lrbs_ops_maximum (a.Handle, b.Handle))
    let minimum (a: Tensor) (b: Tensor) = wrap (Native.lrbs_ops_minimum (a.Handle, b.Handle))
    let matmul (a: Tensor) (b: Tensor) = wrap (Native.lrbs_ops_matmul (a.Handle, b.Handle))
    let sum (a: Tensor) = wrap (Native.lrbs_ops_sum a.Handle)
    let mean (a: Tensor) = wrap (Native.lrbs_ops_mean a.Handle)
    let sumDim (dim: int) (a: Tensor) = wrap (Native.lrbs_ops_sum_dim (a.Handle, dim, 0))
    let meanDim (dim: int) (a: Tensor) = wrap (Native.lrbs_ops_mean_dim (a.Handle, dim, 0))
    let sumDimKeep (dim: int) (a: Tensor) = wrap (Native.lrbs_ops_sum_dim (a.Handle, dim, 1))
    let argmax (dim: int) (a: Tensor) = wrap (Native.lrbs_ops_argmax (a.Handle, dim))
    let eq (a: Tensor) (b: Tensor) = wrap (Native.lrbs_ops_eq (a.Handle, b.Handle))
    let gtScalar (s: float) (a: Tensor) = wrap (Native.lrbs_ops_gt_scalar (a.Handle, s))
    let toFloat32 (a: Tensor) = wrap (Native.lrbs_ops_to_float32 a.Handle)
    let reshape (shape: int64[]) (a: Tensor) = wrap (Native.lrbs_ops_reshape (a.Handle, shape, shape.Length))
    let permute (dims: int64[]) (a: Tensor) = wrap (Native.lrbs_ops_permute (a.Handle, dims, dims.Length))
    /// Columns [start, start+length) of a 2-D tensor (a view).
    let columns (start: int) (length: int) (a: Tensor) = wrap (Native.lrbs_ops_select_cols (a.Handle, int64 start, int64 length))
    let indexSelect (dim: int) (index: Tensor) (a: Tensor) = wrap (Native.lrbs_ops_index_select (a.Handle, dim, index.Handle))
    let oneHot (classes: int) (labels: Tensor) = wrap (Native.lrbs_ops_one_hot (labels.Handle, int64 classes))
    let allFinite (a: Tensor) = (Native.lrbs_ops_all_finite a.Handle |> Native.checkCode) = 1

    let linear (x: Tensor) (w: Tensor) (b: Tensor) = wrap (Native.lrbs_nn_linear (x.Handle, w.Handle, b.Handle))
    let conv2d (x: Tensor) (w: Tensor) (b: Tensor) (stride: int) (top, bottom, left, right) =
        wrap (Native.lrbs_nn_conv2d (x.Handle, w.Handle, b.Handle, stride, top, bottom, left, right))
    let maxPool2d (kernel: int) (stride: int) (x: Tensor) = wrap (Native.lrbs_nn_max_pool2d (x.Handle, kernel, stride))
    let relu (x: Tensor) = wrap (Native.lrbs_nn_relu x.Handle)
    let sigmoid (x: Tensor) = wrap (Native.lrbs_nn_sigmoid x.Handle)
    let softmax (dim: int) (x: Tensor) = wrap (Native.lrbs_nn_softmax (x.Handle, dim))
    let logSoftmax (dim: int) (x: Tensor) = wrap (Native.lrbs_nn_log_softmax (x.Handle, dim))
    let dropout (rate: float) (training: bool) (x: Tensor) =
        wrap (Native.lrbs_nn_dropout (x.Handle, rate, (if training then 1 else 0)))

    // ---- autograd ----
    let requiresGrad (a: Tensor) = Native.lrbs_autograd_set_requires_grad (a.Handle, 1) |> Native.checkCode |> ignore
    let backward (loss: Tensor) = Native.lrbs_autograd_backward loss.Handle |> Native.checkCode |> ignore
    /// The gradient of a leaf tensor, or None when backward has not reached it.
    let grad (a: Tensor) : Tensor option =
        let mutable out = 0n
        Native.lrbs_autograd_grad (a.Handle, &out) |> Native.checkCode |> ignore
        if out = 0n then None else Some(new Tensor(out))
    let zeroGrad (a: Tensor) = Native.lrbs_autograd_zero_grad a.Handle |> Native.checkCode |> ignore

    // ---- in-place (optimizers; call under NoGrad) ----
    /// self += alpha * other
    let addInPlace (self: Tensor) (alpha: float) (other: Tensor) =
        Native.lrbs_inplace_add (self.Handle, other.Handle, alpha) |> Native.checkCode |> ignore
    /// self *= s
    let mulInPlace (self: Tensor) (s: float) = Native.lrbs_inplace_mul_scalar (self.Handle, s) |> Native.checkCode |> ignore
    /// self += value * a * b
    let addcmulInPlace (self: Tensor) (value: float) (a: Tensor) (b: Tensor) =
        Native.lrbs_inplace_addcmul (self.Handle, a.Handle, b.Handle, value) |> Native.checkCode |> ignore
    /// self += value * a / b
    let addcdivInPlace (self: Tensor) (value: float) (a: Tensor) (b: Tensor) =
        Native.lrbs_inplace_addcdiv (self.Handle, a.Handle, b.Handle, value) |> Native.checkCode |> ignore
    let copyInPlace (self: Tensor) (src: Tensor) = Native.lrbs_inplace_copy (self.Handle, src.Handle) |> Native.checkCode |> ignore
    let zeroInPlace (self: Tensor) = Native.lrbs_inplace_zero self.Handle |> Native.checkCode |> ignore

