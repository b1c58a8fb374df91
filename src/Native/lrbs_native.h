/* lrbs_native: a small C ABI over libtorch for the lrbs F# core.
 *
 * Conventions (those of TorchSharp's LibTorchSharp, with every export inside the one catch of guard.h):
 *  - Tensors and nets are opaque handles. Every handle returned by a function is
 *    owned by the caller and released with its dispose function.
 *  - Functions returning a handle return NULL on error; functions returning int
 *    return 0 (or a count) on success and -1 on error. In both cases the message is
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
typedef struct lrbs_net lrbs_net;

/* ---- runtime (runtime.cpp) ---- */
LRBS_API const char* lrbs_last_error(void);
/* Intra-op threads of libtorch (OpenMP) and of the BLAS (OpenBLAS), process-wide. */
LRBS_API int lrbs_runtime_set_threads(int n);
LRBS_API int lrbs_runtime_get_threads(void);
/* Threads the BLAS library uses now, or 0 when it is not OpenBLAS. */
LRBS_API int lrbs_runtime_blas_threads(void);
/* Live tensor and net handles (a leak check for tests). */
LRBS_API int64_t lrbs_runtime_live_handles(void);
LRBS_API const char* lrbs_runtime_version(void);
/* 1 (default): optimizer updates run as one fused loop per parameter on the CPU; 0: as
 * ATen operations (the path other devices take). Returns the previous setting. For tests. */
LRBS_API int lrbs_runtime_fused_updates(int enabled);
/* 1 (default): max-pooling's AVX2 kernel; 0: the scalar loop it reproduces. Returns the previous
 * setting. For tests. */
LRBS_API int lrbs_runtime_vector_pooling(int enabled);
/* The large-block cache (src/Native/cpu_allocator.cpp): bytes idle in it now, and how many
 * allocations it has served from it so far. */
LRBS_API int64_t lrbs_runtime_large_blocks_idle(void);
LRBS_API int64_t lrbs_runtime_large_blocks_reused(void);
/* Frees every idle block of the cache; returns the bytes freed. Called after each trial. */
LRBS_API int64_t lrbs_runtime_large_blocks_release(void);
/* Bytes of tensor memory the engine holds now (live), and the most it held since the last call
 * with reset != 0 (which restarts the peak from the live bytes). */
LRBS_API int64_t lrbs_runtime_memory_live(void);
LRBS_API int64_t lrbs_runtime_memory_peak(int reset);

/* ---- tensors (tensor.cpp): data moved in and out of the engine ---- */
LRBS_API lrbs_tensor* lrbs_tensor_from_float32(const float* data, const int64_t* shape, int ndim);
LRBS_API lrbs_tensor* lrbs_tensor_from_int64(const int64_t* data, const int64_t* shape, int ndim);
LRBS_API int lrbs_tensor_to_float32(lrbs_tensor* t, float* out, int64_t count);
LRBS_API int lrbs_tensor_to_int64(lrbs_tensor* t, int64_t* out, int64_t count);
LRBS_API int lrbs_tensor_shape(lrbs_tensor* t, int64_t* out, int capacity); /* returns ndim */
LRBS_API int64_t lrbs_tensor_numel(lrbs_tensor* t);
LRBS_API void lrbs_tensor_dispose(lrbs_tensor* t);

/* ---- nets (net/): K members of one architecture trained by one fused step ---- */
enum { LRBS_LAYER_DENSE = 1, LRBS_LAYER_CONV2D = 2, LRBS_LAYER_MAXPOOL2D = 3, LRBS_LAYER_FLATTEN = 4, LRBS_LAYER_DROPOUT = 5 };
enum { LRBS_ACT_LINEAR = 0, LRBS_ACT_RELU = 1, LRBS_ACT_SIGMOID = 2, LRBS_ACT_SOFTMAX = 3 };
enum { LRBS_LOSS_CE_LOGITS = 0, LRBS_LOSS_CE_CLIPPED = 1, LRBS_LOSS_BCE_LOGITS = 2, LRBS_LOSS_BCE_CLIPPED = 3, LRBS_LOSS_ONE_MINUS_IOU = 4,
       LRBS_LOSS_MSE = 5, LRBS_LOSS_ONE_MINUS_IOU_PLUS_ONE = 6 };
enum { LRBS_OPT_SGD = 0, LRBS_OPT_ADAM = 1 };

/* One layer and the shape of its input (a vector has in_height = in_width = 0),
 * with Keras's padding already resolved by the caller. */
typedef struct {
  int32_t kind;
  int32_t activation;
  int32_t units;  /* Dense units, Conv2D filters */
  int32_t kernel; /* Conv2D kernel size, MaxPool2D pool size */
  int32_t stride;
  int32_t pad_top, pad_bottom, pad_left, pad_right;
  int32_t in_channels, in_height, in_width;
  double rate; /* Dropout */
} lrbs_layer;

/* Optimizer hyper-parameters; the learning rate is given per step and per member. */
typedef struct {
  int32_t kind;
  double momentum;
  int32_t nesterov;
  int32_t pytorch_form;   /* SGD momentum: 0 Keras (v = mu v - lr g), 1 PyTorch (b = mu b + g) */
  double beta1, beta2, epsilon;
  int32_t bias_corrected; /* Adam epsilon: 0 Keras placement, 1 bias-corrected (PyTorch, TF.js) */
} lrbs_optimizer;

/* A net of `members` independent copies of one architecture. `shared_input`: every
 * member sees the same batch (x rows shared), else each member has its own batch
 * (an index of shape (members, n)). `seeds`: one dropout generator seed per member.
 * Weights start at zero: write them with lrbs_net_write. */
LRBS_API lrbs_net* lrbs_net_create(const lrbs_layer* layers, int n_layers, int members, int shared_input,
                                   int loss, const lrbs_optimizer* optimizer, const uint64_t* seeds);
LRBS_API void lrbs_net_dispose(lrbs_net* net);
LRBS_API int lrbs_net_members(lrbs_net* net);
/* Number of parameter arrays of one member (kernel and bias of each weighted layer). */
LRBS_API int lrbs_net_param_arrays(lrbs_net* net);
/* One member's parameter array (what: 0 weights, 1 gradients of the last step) in
 * Keras's layout: Dense kernel (in, out), Conv2D kernel (kh, kw, in, out), biases (out). */
LRBS_API int lrbs_net_read(lrbs_net* net, int what, int index, int member, float* out, int64_t count);
LRBS_API int lrbs_net_write(lrbs_net* net, int index, int member, const float* values, int64_t count);

/* The training step: gathers rows [start, start+size) of `index` (shared: (n); per
 * member: (members, n); NULL: x and y rows themselves), runs forward, loss, backward
 * and the optimizer update of every member (learning rate lrs[k]), and adds the
 * batch's loss and metric to the epoch statistics. gns_micro > 0 also measures the
 * squared gradient norms for the gradient noise scale over micro-batches of that size
 * (before the update; the parameters do not change because of it). */
LRBS_API int lrbs_net_step(lrbs_net* net, lrbs_tensor* x, lrbs_tensor* y, lrbs_tensor* index, int64_t start,
                           int64_t size, const double* lrs, int64_t gns_micro);
/* Per member: mean loss of the last step (for parity traces), and the gradient noise
 * scale measurements of the last step that asked for them (|G_b|^2, |G_B|^2). */
LRBS_API int lrbs_net_last_loss(lrbs_net* net, double* out);
LRBS_API int lrbs_net_gns(lrbs_net* net, double* small_sq, double* big_sq);
/* Per member (loss sum, metric sum, examples) since the last reset; resets when asked. */
LRBS_API int lrbs_net_stats(lrbs_net* net, double* out, int reset);
/* Per member (loss sum, metric sum, examples) over rows of x and y, in evaluation mode. */
LRBS_API int lrbs_net_evaluate(lrbs_net* net, lrbs_tensor* x, lrbs_tensor* y, int64_t chunk, double* out);
/* Outputs (after the last activation) of every member for the rows of x: (members, n, outputs). */
LRBS_API lrbs_tensor* lrbs_net_predict(lrbs_net* net, lrbs_tensor* x, int64_t chunk);
/* Keeps only the given members (in that order), with their weights and optimizer state. */
LRBS_API int lrbs_net_keep_members(lrbs_net* net, const int64_t* members, int count);

/* ---- images (image.cpp, OpenCV): 8-bit RGB, row-major (height, width, 3) ---- */
/* Decodes an image file and resizes it (bilinear) to size x size into out (size*size*3 bytes). */
LRBS_API int lrbs_image_load(const char* path, int size, uint8_t* out);
/* Writes an image; the format follows the extension (.png, .jpg). */
LRBS_API int lrbs_image_save(const char* path, const uint8_t* rgb, int height, int width);

#ifdef __cplusplus
}
#endif
#endif
