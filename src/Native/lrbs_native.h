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
/* The BLAS kernel family OpenBLAS uses (e.g. "Haswell"); "" for another BLAS. */
LRBS_API const char* lrbs_runtime_blas_core(void);
/* Test aid (LRBS_FAULT): an invalid memory access, so the process dies from SIGSEGV. */
LRBS_API void lrbs_runtime_crash(void);
LRBS_API const char* lrbs_runtime_version(void);
/* 1 (default): optimizer updates run as one fused loop per parameter on the CPU; 0: as
 * ATen operations (the path other devices take). Returns the previous setting. For tests. */
LRBS_API int lrbs_runtime_fused_updates(int enabled);
/* 1 (default): max-pooling's AVX2 kernel; 0: the scalar loop it reproduces. Returns the previous
 * setting. For tests. */
LRBS_API int lrbs_runtime_vector_pooling(int enabled);
/* 1 (default): narrow Conv2D layers (at most 8 filters and channels per member) run the direct
 * convolution; 0: ATen's im2col kernels. Returns the previous setting. For tests and the bench. */
LRBS_API int lrbs_runtime_direct_conv(int enabled);
/* 1 (default): Dense layers of one member run the direct kernels (BLAS and plain loops, the same
 * bits); 0: ATen's operations. Returns the previous setting. For tests and the bench. */
LRBS_API int lrbs_runtime_direct_dense(int enabled);
/* Forward passes of Dense layers through the direct kernels so far in this process (tests). */
LRBS_API int64_t lrbs_runtime_direct_dense_passes(void);
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

/* The bench's roofline (roofline.cpp): seconds of one n x n float32 product (2 n^3 FLOPs) and of
 * one triad a = b + s c over `elements` floats (12 bytes each; `passes` back to back per timed
 * run), at `threads` threads, best of `repeats`. Both change the thread count: set it back afterwards. */
LRBS_API int lrbs_roofline_sgemm(int n, int threads, int repeats, double* seconds);
LRBS_API int lrbs_roofline_triad(int64_t elements, int passes, int threads, int repeats, double* seconds);

/* ---- tensors (tensor.cpp): data moved in and out of the engine ---- */
LRBS_API lrbs_tensor* lrbs_tensor_from_float32(const float* data, const int64_t* shape, int ndim);
LRBS_API lrbs_tensor* lrbs_tensor_from_int64(const int64_t* data, const int64_t* shape, int ndim);
/* A float32 tensor over the caller's buffer, not a copy: the caller keeps the buffer alive and
 * unmoved (pinned) until the tensor is disposed; the engine only reads it (training batches and
 * evaluation chunks are views or gathers of their input, never written). */
LRBS_API lrbs_tensor* lrbs_tensor_view_float32(const float* data, const int64_t* shape, int ndim);
LRBS_API int lrbs_tensor_to_float32(lrbs_tensor* t, float* out, int64_t count);
LRBS_API int lrbs_tensor_to_int64(lrbs_tensor* t, int64_t* out, int64_t count);
LRBS_API int lrbs_tensor_shape(lrbs_tensor* t, int64_t* out, int capacity); /* returns ndim */
LRBS_API int64_t lrbs_tensor_numel(lrbs_tensor* t);
LRBS_API void lrbs_tensor_dispose(lrbs_tensor* t);

/* ---- nets (net/): K members of one architecture trained by one fused step ---- */
/* Layers, activations, losses and optimizers are registered by name in their own files
 * (net/registry.h); every setting crosses this boundary as a named number. */
typedef struct {
  const char* key;
  double value; /* integers and flags (0/1) as doubles */
} lrbs_setting;

/* One layer: its registered kind, its activation ("linear" for layers without one), and its
 * settings, which include its input shape (in_channels, in_height, in_width; a vector has
 * in_height = in_width = 0) and Keras's padding resolved by the caller. A kind rejects a
 * missing or unknown setting, naming it. */
typedef struct {
  const char* kind;
  const char* activation;
  const lrbs_setting* settings;
  int32_t n_settings;
} lrbs_layer;

/* An optimizer: its registered kind and hyper-parameters; the learning rate is given per step
 * and per member. */
typedef struct {
  const char* kind;
  const lrbs_setting* settings;
  int32_t n_settings;
} lrbs_optimizer;

/* The registered names of one registry ("layer", "activation", "loss", "optimizer"), comma
 * separated, into out (capacity bytes with the terminating NUL); returns the full length. */
LRBS_API int lrbs_registry_names(const char* registry, char* out, int capacity);
/* sizeof and the offset of each field, in declaration order, of an ABI struct ("lrbs_setting",
 * "lrbs_layer", "lrbs_optimizer"): the host checks its own layouts against these at load. */
LRBS_API int lrbs_abi_layout(const char* type, int64_t* out, int capacity);
/* How many state tensors shaped like each parameter the optimizer keeps (momentum, moments). */
LRBS_API int lrbs_optimizer_state_slots(const lrbs_optimizer* optimizer);

/* A net of `members` independent copies of one architecture. `shared_input`: every
 * member sees the same batch (x rows shared), else each member has its own batch
 * (an index of shape (members, n)). `seeds`: one dropout generator seed per member.
 * Weights start at zero: write them with lrbs_net_write. */
LRBS_API lrbs_net* lrbs_net_create(const lrbs_layer* layers, int n_layers, int members, int shared_input, const char* loss, const lrbs_optimizer* optimizer,
                                   const uint64_t* seeds);
LRBS_API void lrbs_net_dispose(lrbs_net* net);
/* The output of layers without weights or randomness (a network's constant prefix) for the rows
 * x (N, ...), forward only: what a net's first layers compute there. */
LRBS_API lrbs_tensor* lrbs_constant_forward(const lrbs_layer* layers, int n_layers, lrbs_tensor* x);
LRBS_API int lrbs_net_members(lrbs_net* net);
/* Number of weight arrays of one member, in Keras's get_weights() order: each layer's
 * trainable parameters (kernel, bias; gamma, beta) then its state (moving mean, variance). */
LRBS_API int lrbs_net_param_arrays(lrbs_net* net);
/* Which array of a weight lrbs_net_read and lrbs_net_write address: its values, its gradient of
 * the last step, or one slot of the optimizer's state for it (zeros before the first step). */
typedef enum lrbs_weight_part { LRBS_WEIGHT_VALUES = 0, LRBS_WEIGHT_GRADIENTS = 1, LRBS_WEIGHT_OPTIMIZER_STATE = 2 } lrbs_weight_part;
/* One member's weight array in Keras's layout: Dense kernel (in, out), Conv2D kernel (kh, kw, in,
 * out), vectors (out). `slot` names the optimizer state slot (0 <= slot <
 * lrbs_optimizer_state_slots) for LRBS_WEIGHT_OPTIMIZER_STATE and must be 0 otherwise. State
 * arrays (moving statistics) have no gradient and no optimizer state; gradients are read only. */
LRBS_API int lrbs_net_read(lrbs_net* net, lrbs_weight_part part, int slot, int index, int member, float* out, int64_t count);
LRBS_API int lrbs_net_write(lrbs_net* net, lrbs_weight_part part, int slot, int index, int member, const float* values, int64_t count);
/* For checkpoints: the optimizer's step count (Adam's t), shared by the members, and a member's
 * dropout generator state (its size in bytes is returned; out may be NULL to ask for it). */
LRBS_API int64_t lrbs_net_optimizer_steps(lrbs_net* net);
LRBS_API int lrbs_net_set_optimizer_steps(lrbs_net* net, int64_t steps);
LRBS_API int64_t lrbs_net_generator_state(lrbs_net* net, int member, uint8_t* out, int64_t capacity);
LRBS_API int lrbs_net_set_generator_state(lrbs_net* net, int member, const uint8_t* state, int64_t size);

/* The training step: gathers rows [start, start+size) of `index` (shared: (n); per
 * member: (members, n); NULL: x and y rows themselves), runs forward, loss, backward
 * and the optimizer update of every member (learning rate lrs[k]), and adds the
 * batch's loss and metric to the epoch statistics. gns_micro > 0 also measures the
 * squared gradient norms for the gradient noise scale over micro-batches of that size
 * (before the update; the parameters do not change because of it). */
LRBS_API int lrbs_net_step(lrbs_net* net, lrbs_tensor* x, lrbs_tensor* y, lrbs_tensor* index, int64_t start, int64_t size, const double* lrs,
                           int64_t gns_micro);
/* Per member: mean loss of the last step (for parity traces), and the gradient noise
 * scale measurements of the last step that asked for them (|G_b|^2, |G_B|^2). */
LRBS_API int lrbs_net_last_loss(lrbs_net* net, double* out);
LRBS_API int lrbs_net_gns(lrbs_net* net, double* small_sq, double* big_sq);
/* A member's sums over some rows: the loss and the metric summed over examples, and their count. */
typedef struct lrbs_totals {
  double loss_sum;
  double metric_sum;
  double examples;
} lrbs_totals;
/* Per member (out[member]), the totals of the training steps since the last reset; resets when asked. */
LRBS_API int lrbs_net_stats(lrbs_net* net, lrbs_totals* out, int reset);
/* Per member (out[member]), the totals over rows of x and y, in evaluation mode. */
LRBS_API int lrbs_net_evaluate(lrbs_net* net, lrbs_tensor* x, lrbs_tensor* y, int64_t chunk, lrbs_totals* out);
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
