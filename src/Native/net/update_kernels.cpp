// See update_kernels.h. The operations and their order follow the ATen sequences in sgd.cpp
// and adam.cpp, so both paths compute the same values.
#include "update_kernels.h"
#include <cmath>

#define LRBS_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))

namespace lrbs::net::kernels {

LRBS_VECTOR_CLONES
void sgd(float* __restrict w, const float* __restrict g, int64_t n, int64_t run, int64_t K, const float* step) {
  for (int64_t c = 0, start = 0; start < n; ++c, start += run) {
    const float s = step[c % K];
    for (int64_t i = start; i < start + run; ++i) w[i] = w[i] + g[i] * s;
  }
}

LRBS_VECTOR_CLONES
void momentum_keras(float* __restrict w, const float* __restrict g, float* __restrict v, int64_t n, int64_t run, int64_t K, const float* step, float mu,
                    bool nesterov) {
  for (int64_t c = 0, start = 0; start < n; ++c, start += run) {
    const float s = step[c % K];
    if (nesterov) {
      for (int64_t i = start; i < start + run; ++i) {
        const float vi = v[i] * mu + g[i] * s;
        v[i] = vi;
        w[i] = (w[i] + vi * mu) + g[i] * s;
      }
    } else {
      for (int64_t i = start; i < start + run; ++i) {
        const float vi = v[i] * mu + g[i] * s;
        v[i] = vi;
        w[i] = w[i] + vi;
      }
    }
  }
}

LRBS_VECTOR_CLONES
void momentum_pytorch(float* __restrict w, const float* __restrict g, float* __restrict b, int64_t n, int64_t run, int64_t K, const float* step, float mu,
                      bool nesterov) {
  for (int64_t c = 0, start = 0; start < n; ++c, start += run) {
    const float s = step[c % K];
    if (nesterov) {
      for (int64_t i = start; i < start + run; ++i) {
        const float bi = b[i] * mu + g[i];
        b[i] = bi;
        w[i] = (w[i] + g[i] * s) + bi * (s * mu);
      }
    } else {
      for (int64_t i = start; i < start + run; ++i) {
        const float bi = b[i] * mu + g[i];
        b[i] = bi;
        w[i] = w[i] + bi * s;
      }
    }
  }
}

LRBS_VECTOR_CLONES
void adam(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n, int64_t run, int64_t K, const float* step,
          float a1, float a2, float eps, float root_scale) {
  for (int64_t c = 0, start = 0; start < n; ++c, start += run) {
    const float s = step[c % K];
    for (int64_t i = start; i < start + run; ++i) {
      const float gi = g[i];
      const float mi = m[i] + a1 * (gi - m[i]);
      const float vi = v[i] + a2 * (gi * gi - v[i]);
      m[i] = mi;
      v[i] = vi;
      const float d = std::sqrt(vi) * root_scale + eps;
      w[i] = w[i] + s * (mi / d);
    }
  }
}

}  // namespace lrbs::net::kernels
