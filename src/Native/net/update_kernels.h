// The fused optimizer updates as plain loops over a parameter's contiguous float32 elements:
// one pass instead of a sequence of whole-tensor operations. The elements come in chunks of
// `run`, chunk c belonging to member c mod K (K blocks of `run`, or the wide Dense kernel's
// rows of K runs), and step[k] is member k's signed step (-lr, times any scale). Compiled for
// AVX2 and for the baseline, chosen when the library loads (GCC function multiversioning).
#pragma once
#include <cstdint>

namespace lrbs::net::kernels {

// w += step g
void sgd(float* w, const float* g, int64_t n, int64_t run, int64_t K, const float* step);
// Keras momentum: v = mu v + step g; w += v (Nesterov: w += mu v + step g).
void momentum_keras(float* w, const float* g, float* v, int64_t n, int64_t run, int64_t K, const float* step, float mu, bool nesterov);
// PyTorch momentum: b = mu b + g; w += step b (Nesterov: w += step g + step mu b).
void momentum_pytorch(float* w, const float* g, float* b, int64_t n, int64_t run, int64_t K, const float* step, float mu, bool nesterov);
// Adam: m += a1 (g - m); v += a2 (g^2 - v); w += step m / (sqrt(v) * root_scale + eps).
void adam(float* w, const float* g, float* m, float* v, int64_t n, int64_t run, int64_t K, const float* step, float a1, float a2, float eps, float root_scale);

}  // namespace lrbs::net::kernels
