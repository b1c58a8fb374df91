/* lrbs_native: a small C ABI over libtorch for the lrbs F# core.
 *
 * Conventions (see STYLE.md):
 *  - Tensors are opaque handles (lrbs_tensor*). Every handle returned by a
 *    function is owned by the caller and released with lrbs_tensor_dispose.
 *  - Functions returning a handle return NULL on error; functions returning
 *    int return 0 on success and -1 on error. In both cases the message is
 *    available from lrbs_last_error() on the same thread.
 *  - No C++ exception ever crosses this boundary.
 *  - Names follow lrbs_<area>_<verb>.
 */
#ifndef LRBS_NATIVE_H
#define LRBS_NATIVE_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LRBS_API __attribute__((visibility("default")))

typedef struct lrbs_tensor lrbs_tensor;

/* ---- runtime (runtime.cpp) ---- */
LRBS_API const char* lrbs_last_error(void);
LRBS_API int lrbs_runtime_set_threads(int n);
LRBS_API int lrbs_runtime_get_threads(void);
LRBS_API int lrbs_runtime_manual_seed(uint64_t seed);
LRBS_API int64_t lrbs_runtime_live_tensors(void);
LRBS_API const char* lrbs_runtime_version(void);

/* ---- tensors (tensor.cpp) ---- */
LRBS_API lrbs_tensor* lrbs_tensor_from_float32(const float* data, const int64_t* shape, int ndim);
LRBS_API lrbs_tensor* lrbs_tensor_from_int64(const int64_t* data, const int64_t* shape, int ndim);
LRBS_API lrbs_tensor* lrbs_tensor_zeros(const int64_t* shape, int ndim);
LRBS_API lrbs_tensor* lrbs_tensor_scalar(double value);
LRBS_API int lrbs_tensor_to_float32(lrbs_tensor* t, float* out, int64_t count);
LRBS_API int lrbs_tensor_to_int64(lrbs_tensor* t, int64_t* out, int64_t count);
LRBS_API int lrbs_tensor_ndim(lrbs_tensor* t);
LRBS_API int lrbs_tensor_shape(lrbs_tensor* t, int64_t* out, int capacity);
LRBS_API int64_t lrbs_tensor_numel(lrbs_tensor* t);
LRBS_API double lrbs_tensor_item(lrbs_tensor* t);
LRBS_API lrbs_tensor* lrbs_tensor_clone(lrbs_tensor* t);
LRBS_API lrbs_tensor* lrbs_tensor_detach(lrbs_tensor* t);
LRBS_API void lrbs_tensor_dispose(lrbs_tensor* t);

/* ---- element-wise and reduction ops (ops.cpp) ---- */
LRBS_API lrbs_tensor* lrbs_ops_add(lrbs_tensor* a, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_ops_sub(lrbs_tensor* a, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_ops_mul(lrbs_tensor* a, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_ops_div(lrbs_tensor* a, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_ops_add_scalar(lrbs_tensor* a, double s);
LRBS_API lrbs_tensor* lrbs_ops_mul_scalar(lrbs_tensor* a, double s);
LRBS_API lrbs_tensor* lrbs_ops_neg(lrbs_tensor* a);
LRBS_API lrbs_tensor* lrbs_ops_log(lrbs_tensor* a);
LRBS_API lrbs_tensor* lrbs_ops_exp(lrbs_tensor* a);
LRBS_API lrbs_tensor* lrbs_ops_sqrt(lrbs_tensor* a);
LRBS_API lrbs_tensor* lrbs_ops_square(lrbs_tensor* a);
LRBS_API lrbs_tensor* lrbs_ops_clamp(lrbs_tensor* a, double lo, double hi);
LRBS_API lrbs_tensor* lrbs_ops_maximum(lrbs_tensor* a, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_ops_minimum(lrbs_tensor* a, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_ops_matmul(lrbs_tensor* a, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_ops_sum(lrbs_tensor* a);
LRBS_API lrbs_tensor* lrbs_ops_mean(lrbs_tensor* a);
LRBS_API lrbs_tensor* lrbs_ops_sum_dim(lrbs_tensor* a, int dim, int keepdim);
LRBS_API lrbs_tensor* lrbs_ops_mean_dim(lrbs_tensor* a, int dim, int keepdim);
LRBS_API lrbs_tensor* lrbs_ops_argmax(lrbs_tensor* a, int dim);
LRBS_API lrbs_tensor* lrbs_ops_eq(lrbs_tensor* a, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_ops_gt_scalar(lrbs_tensor* a, double s);
LRBS_API lrbs_tensor* lrbs_ops_to_float32(lrbs_tensor* a);
LRBS_API lrbs_tensor* lrbs_ops_reshape(lrbs_tensor* a, const int64_t* shape, int ndim);
LRBS_API lrbs_tensor* lrbs_ops_permute(lrbs_tensor* a, const int64_t* dims, int ndim);
LRBS_API lrbs_tensor* lrbs_ops_select_cols(lrbs_tensor* a, int64_t start, int64_t length);
LRBS_API lrbs_tensor* lrbs_ops_index_select(lrbs_tensor* a, int dim, lrbs_tensor* index);
LRBS_API lrbs_tensor* lrbs_ops_one_hot(lrbs_tensor* labels, int64_t classes);
LRBS_API int lrbs_ops_all_finite(lrbs_tensor* a); /* 1 finite, 0 not, -1 error */

/* ---- neural-network ops (nn.cpp) ---- */
LRBS_API lrbs_tensor* lrbs_nn_linear(lrbs_tensor* x, lrbs_tensor* w, lrbs_tensor* b);
LRBS_API lrbs_tensor* lrbs_nn_conv2d(lrbs_tensor* x, lrbs_tensor* w, lrbs_tensor* b,
                                     int stride, int pad_top, int pad_bottom, int pad_left, int pad_right);
LRBS_API lrbs_tensor* lrbs_nn_max_pool2d(lrbs_tensor* x, int kernel, int stride);
LRBS_API lrbs_tensor* lrbs_nn_relu(lrbs_tensor* x);
LRBS_API lrbs_tensor* lrbs_nn_sigmoid(lrbs_tensor* x);
LRBS_API lrbs_tensor* lrbs_nn_softmax(lrbs_tensor* x, int dim);
LRBS_API lrbs_tensor* lrbs_nn_log_softmax(lrbs_tensor* x, int dim);
LRBS_API lrbs_tensor* lrbs_nn_dropout(lrbs_tensor* x, double rate, int training);

/* ---- autograd (autograd.cpp) ---- */
LRBS_API int lrbs_autograd_set_requires_grad(lrbs_tensor* t, int requires);
LRBS_API int lrbs_autograd_backward(lrbs_tensor* loss);
/* *out receives the gradient, or NULL when the tensor has none. */
LRBS_API int lrbs_autograd_grad(lrbs_tensor* t, lrbs_tensor** out);
LRBS_API int lrbs_autograd_zero_grad(lrbs_tensor* t);
/* Sets grad mode on this thread; returns the previous mode (1/0) or -1. */
LRBS_API int lrbs_autograd_set_enabled(int enabled);

/* ---- in-place updates for optimizers (inplace.cpp); run under no-grad ---- */
LRBS_API int lrbs_inplace_add(lrbs_tensor* self, lrbs_tensor* other, double alpha);      /* self += alpha*other */
LRBS_API int lrbs_inplace_mul_scalar(lrbs_tensor* self, double s);                       /* self *= s */
LRBS_API int lrbs_inplace_addcmul(lrbs_tensor* self, lrbs_tensor* a, lrbs_tensor* b, double value); /* self += value*a*b */
LRBS_API int lrbs_inplace_addcdiv(lrbs_tensor* self, lrbs_tensor* a, lrbs_tensor* b, double value); /* self += value*a/b */
LRBS_API int lrbs_inplace_copy(lrbs_tensor* self, lrbs_tensor* src);
LRBS_API int lrbs_inplace_zero(lrbs_tensor* self);

#ifdef __cplusplus
}
#endif
#endif
