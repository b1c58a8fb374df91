/// All P/Invoke declarations for liblrbs_native (src/Native), in one internal module,
/// plus the checks that turn the shim's error codes into .NET exceptions.
module internal Lrbs.Core.Engine.Native

#nowarn "9"
open System
open System.Runtime.InteropServices

[<Literal>]
let Lib = "lrbs_native"

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_last_error()
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_set_threads(int n)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_get_threads()
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_runtime_manual_seed(uint64 seed)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_runtime_live_tensors()
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_runtime_version()

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_from_float32(float32[] data, int64[] shape, int ndim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_from_int64(int64[] data, int64[] shape, int ndim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_zeros(int64[] shape, int ndim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_scalar(double value)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_tensor_to_float32(nativeint t, float32[] out, int64 count)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_tensor_to_int64(nativeint t, int64[] out, int64 count)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_tensor_shape(nativeint t, int64[] out, int capacity)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int64 lrbs_tensor_numel(nativeint t)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern double lrbs_tensor_item(nativeint t)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_clone(nativeint t)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_tensor_detach(nativeint t)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern void lrbs_tensor_dispose(nativeint t)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_add(nativeint a, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_sub(nativeint a, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_mul(nativeint a, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_div(nativeint a, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_add_scalar(nativeint a, double s)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_mul_scalar(nativeint a, double s)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_neg(nativeint a)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_log(nativeint a)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_exp(nativeint a)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_sqrt(nativeint a)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_square(nativeint a)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_clamp(nativeint a, double lo, double hi)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_maximum(nativeint a, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_minimum(nativeint a, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_matmul(nativeint a, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_sum(nativeint a)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_mean(nativeint a)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_sum_dim(nativeint a, int dim, int keepdim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_mean_dim(nativeint a, int dim, int keepdim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_argmax(nativeint a, int dim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_eq(nativeint a, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_gt_scalar(nativeint a, double s)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_to_float32(nativeint a)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_reshape(nativeint a, int64[] shape, int ndim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_permute(nativeint a, int64[] dims, int ndim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_select_cols(nativeint a, int64 start, int64 length)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_index_select(nativeint a, int dim, nativeint index)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_ops_one_hot(nativeint labels, int64 classes)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_ops_all_finite(nativeint a)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_nn_linear(nativeint x, nativeint w, nativeint b)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_nn_conv2d(nativeint x, nativeint w, nativeint b, int stride, int padTop, int padBottom, int padLeft, int padRight)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_nn_max_pool2d(nativeint x, int kernel, int stride)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_nn_relu(nativeint x)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_nn_sigmoid(nativeint x)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_nn_softmax(nativeint x, int dim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_nn_log_softmax(nativeint x, int dim)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern nativeint lrbs_nn_dropout(nativeint x, double rate, int training)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_autograd_set_requires_grad(nativeint t, int requires)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_autograd_backward(nativeint loss)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_autograd_grad(nativeint t, nativeint& out)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_autograd_zero_grad(nativeint t)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_autograd_set_enabled(int enabled)

[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_inplace_add(nativeint self, nativeint other, double alpha)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_inplace_mul_scalar(nativeint self, double s)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_inplace_addcmul(nativeint self, nativeint a, nativeint b, double value)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_inplace_addcdiv(nativeint self, nativeint a, nativeint b, double value)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_inplace_copy(nativeint self, nativeint src)
[<DllImport(Lib, CallingConvention = CallingConvention.Cdecl)>]
extern int lrbs_inplace_zero(nativeint self)

/// The message of the last native error on this thread.
let lastError () =
    let p = lrbs_last_error ()
    if p = 0n then "" else Marshal.PtrToStringUTF8 p

/// Raises NativeException with the shim's message when a handle is null.
let checkHandle (h: nativeint) =
    if h = 0n then raise (NativeException(lastError ()))
    h

/// Raises NativeException with the shim's message when a status code is negative.
let checkCode (code: int) =
    if code < 0 then raise (NativeException(lastError ()))
    code
