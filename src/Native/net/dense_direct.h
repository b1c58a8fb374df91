// Dense layers of one member (K = 1) on contiguous float32 rows, without ATen's per-operation
// dispatch, allocation and TensorIterator set-up, which at batch 4 cost more than the products
// themselves (S2's MLP: perf showed libtorch_cpu 29% of a training run's samples and
// OpenBLAS's sgemm kernels 13%). Row-major, as the tensors lie:
//   affine:      z = b + x W                x (n, in), W (in, out), b (out), z (n, out)
//   kernel_grad: dW = x^T dz                dW (in, out)
//   input_grad:  dx = dz W^T                dx (n, in)
// Every product is BLAS's sgemm_ with the arguments at::addmm and at::mm pass it for these
// layouts (ATen's cpublas::gemm; column-major, so z^T = W^T x^T), hence the same bits on any
// machine. (A rank-n loop for dW, which would skip sgemm_'s zeroing pass, matched OpenBLAS's
// ZEN kernel only up to 7 rows: its accumulation order is the kernel's, not ours to copy.)
// The activations are ATen's relu (clamp_min 0, NaN kept) and threshold_backward (dy where
// z > 0, NaN z included, else 0), element by element. A test holds all of it to ATen's path bit
// for bit (ModelTests: direct dense layers).
#pragma once
#include <cstdint>

namespace lrbs::net::dense_direct {
void affine(const float* x, const float* w, const float* b, int64_t n, int64_t in, int64_t out, float* z);
void kernel_grad(const float* x, const float* dz, int64_t n, int64_t in, int64_t out, float* dw);
void input_grad(const float* dz, const float* w, int64_t n, int64_t in, int64_t out, float* dx);
void relu(const float* z, int64_t count, float* a);
void relu_backward(const float* dy, const float* z, int64_t count, float* dz);
}  // namespace lrbs::net::dense_direct
