// The fused optimizer updates as plain loops over contiguous float32 runs: one pass over the
// elements instead of a sequence of whole-tensor operations. Compiled for AVX2 and for the
// baseline, chosen when the library loads (GCC function multiversioning).
#pragma once
#include <cstdint>

namespace lrbs::net::kernels {

// Keras momentum: v = mu v - lr g; w += v (Nesterov: w += mu v - lr g).
void momentum_keras(float* w, const float* g, float* v, int64_t n, float mu, float lr, bool nesterov);
// PyTorch momentum: b = mu b + g; w -= lr b (Nesterov: w -= lr (g + mu b)).
void momentum_pytorch(float* w, const float* g, float* b, int64_t n, float mu, float lr, bool nesterov);
// Adam: m += a1 (g - m); v += a2 (g^2 - v); w += step m / (sqrt(v) * root_scale + eps).
void adam(float* w, const float* g, float* m, float* v, int64_t n, float a1, float a2, float eps, float root_scale, float step);

}  // namespace lrbs::net::kernels
