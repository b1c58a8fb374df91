/// All P/Invoke declarations for liblrbs_native (src/Native), in one internal module,
/// plus the checks that turn the shim's error codes into .NET exceptions.
module internal Lrbs.Core.Engine.Native

#nowarn "9"
open System.Runtime.InteropServices

[<Literal>]
let Lib = "lrbs_native"

/// lrbs_setting (lrbs_native.h): a named number (UTF-8 key).
[<Struct; StructLayout(LayoutKind.Sequential)>]
type Setting = { Key: nativeint; Value: float }

/// lrbs_layer (lrbs_native.h): a registered kind, its activation and its settings.
[<Struct; StructLayout(LayoutKind.Sequential)>]
type LayerDesc = { Kind: nativeint; Activation: nativeint; Settings: nativeint; NSettings: int }

/// lrbs_optimizer (lrbs_native.h): a registered kind and its settings.
[<Struct; StructLayout(LayoutKind.Sequential)>]
type OptimizerDesc = { Kind: nativeint; Settings: nativeint; NSettings: int }

/// lrbs_totals (lrbs_native.h): a member's loss and metric summed over examples, and their count.
[<Struct; StructLayout(LayoutKind.Sequential)>]
type NativeTotals = { LossSum: float; MetricSum: float; Examples: float }

/// lrbs_weight_part (lrbs_native.h): which array of a weight lrbs_net_read and lrbs_net_write address.
type WeightPart =
    | Values = 0
    | Gradients = 1
    | OptimizerState = 2

/// The field names of each ABI struct in declaration order, as lrbs_abi_layout reports offsets
/// (an F# record field X is stored in the field X@).
let abiStructs: (string * System.Type * string list) list =
    [
        "lrbs_setting", typeof<Setting>, [ "Key"; "Value" ]
        "lrbs_layer", typeof<LayerDesc>, [ "Kind"; "Activation"; "Settings"; "NSettings" ]
        "lrbs_optimizer", typeof<OptimizerDesc>, [ "Kind"; "Settings"; "NSettings" ]
        "lrbs_totals", typeof<NativeTotals>, [ "LossSum"; "MetricSum"; "Examples" ]
    ]

/// Unmanaged UTF-8 strings and settings arrays for one native call, freed together.
type Arena() =
    let blocks = ResizeArray<nativeint>()

    member _.Text(s: string) =
        let p = Marshal.StringToCoTaskMemUTF8 s
        blocks.Add p
        p

    /// A settings array; returns its pointer and count.
    member a.Settings(pairs: (string * float) list) =
        let size = Marshal.SizeOf<Setting>()
        let p = Marshal.AllocCoTaskMem(size * max 1 pairs.Length)
        blocks.Add p

        pairs
        |> List.iteri (fun i (k, v) -> Marshal.StructureToPtr({ Key = a.Text k; Value = v }, p + nativeint (i * size), false))

        p, pairs.Length

    interface System.IDisposable with
        member _.Dispose() =
            for b in blocks do
                Marshal.FreeCoTaskMem b

            blocks.Clear()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_last_error()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_set_threads(int n)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_get_threads()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_blas_threads()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_runtime_live_handles()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern void lrbs_runtime_crash()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_runtime_blas_core()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_runtime_version()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_fused_updates(int enabled)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_vector_pooling(int enabled)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_direct_conv(int enabled)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_direct_dense(int enabled)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_runtime_direct_dense_passes()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_runtime_large_blocks_idle()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_runtime_large_blocks_reused()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_runtime_large_blocks_release()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_runtime_memory_live()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_runtime_memory_peak(int reset)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_roofline_sgemm(int n, int threads, int repeats, double& seconds)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_roofline_triad(int64 elements, int passes, int threads, int repeats, double& seconds)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_from_float32(float32[] data, int64[] shape, int ndim)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_view_float32(nativeint data, int64[] shape, int ndim)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_from_int64(int64[] data, int64[] shape, int ndim)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_tensor_to_float32(nativeint t, float32[] out, int64 count)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_tensor_to_int64(nativeint t, int64[] out, int64 count)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_tensor_shape(nativeint t, int64[] out, int capacity)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_tensor_numel(nativeint t)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern void lrbs_tensor_dispose(nativeint t)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_net_create(
    LayerDesc[] layers,
    int nLayers,
    int members,
    int sharedInput,
    [<MarshalAs(UnmanagedType.LPUTF8Str)>] string loss,
    OptimizerDesc& optimizer,
    uint64[] seeds
)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_constant_forward(LayerDesc[] layers, int nLayers, nativeint x)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_registry_names([<MarshalAs(UnmanagedType.LPUTF8Str)>] string registry, byte[] out, int capacity)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_abi_layout([<MarshalAs(UnmanagedType.LPUTF8Str)>] string typeName, int64[] out, int capacity)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_optimizer_state_slots(OptimizerDesc& optimizer)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern void lrbs_net_dispose(nativeint net)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_members(nativeint net)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_param_arrays(nativeint net)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_read(nativeint net, WeightPart part, int slot, int index, int memberIndex, float32[] out, int64 count)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_write(nativeint net, WeightPart part, int slot, int index, int memberIndex, float32[] values, int64 count)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_net_optimizer_steps(nativeint net)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_set_optimizer_steps(nativeint net, int64 steps)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_net_generator_state(nativeint net, int memberIndex, byte[] out, int64 capacity)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_set_generator_state(nativeint net, int memberIndex, byte[] state, int64 size)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_step(nativeint net, nativeint x, nativeint y, nativeint index, int64 start, int64 size, float[] lrs, int64 gnsMicro)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_last_loss(nativeint net, float[] out)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_gns(nativeint net, float[] smallSq, float[] bigSq)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_stats(nativeint net, [<Out>] NativeTotals[] out, int reset)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_evaluate(nativeint net, nativeint x, nativeint y, int64 chunk, [<Out>] NativeTotals[] out)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_net_predict(nativeint net, nativeint x, int64 chunk)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_net_keep_members(nativeint net, int64[] members, int count)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_image_load([<MarshalAs(UnmanagedType.LPUTF8Str)>] string path, int size, byte[] out)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_image_save([<MarshalAs(UnmanagedType.LPUTF8Str)>] string path, byte[] rgb, int height, int width)

/// The message of the last native error on this thread.
let lastError () =
    let p = lrbs_last_error ()
    if p = 0n then "" else Marshal.PtrToStringUTF8 p

/// Raises NativeException with the shim's message when a handle is null.
let checkHandle (h: nativeint) =
    if h = 0n then
        raise (NativeException(lastError ()))

    h

/// Raises NativeException with the shim's message when a status code is negative.
let checkCode (code: int) =
    if code < 0 then
        raise (NativeException(lastError ()))

    code

/// checkCode for functions that return a 64-bit count.
let checkCount (count: int64) =
    if count < 0L then
        raise (NativeException(lastError ()))

    count
