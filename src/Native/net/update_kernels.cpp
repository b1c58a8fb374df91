// See update_kernels.h. The operations and their order follow the ATen sequences in sgd.cpp
// and adam.cpp, so both paths compute the same values.
#include "update_kernels.h"
#include <cmath>

#define LRBS_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))

namespace lrbs::net::kernels {

LRBS_VECTOR_CLONES
void momentum_keras(float* __restrict w, const float* __restrict g, float* __restrict v, int64_t n, float mu, float lr, bool nesterov) {
  if (nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      const float vi = v[i] * mu + g[i] * -lr;
      v[i] = vi;
      w[i] = (w[i] + vi * mu) + g[i] * -lr;
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float vi = v[i] * mu + g[i] * -lr;
      v[i] = vi;
      w[i] = w[i] + vi;
    }
  }
}

LRBS_VECTOR_CLONES
void momentum_pytorch(float* __restrict w, const float* __restrict g, float* __restrict b, int64_t n, float mu, float lr, bool nesterov) {
  if (nesterov) {
    for (int64_t i = 0; i < n; ++i) {
      const float bi = b[i] * mu + g[i];
      b[i] = bi;
      w[i] = (w[i] + g[i] * -lr) + bi * (-lr * mu);
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float bi = b[i] * mu + g[i];
      b[i] = bi;
      w[i] = w[i] + bi * -lr;
    }
  }
}

LRBS_VECTOR_CLONES
void adam(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n, float a1, float a2,
          float eps, float root_scale, float step) {
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i];
    const float mi = m[i] + a1 * (gi - m[i]);
    const float vi = v[i] + a2 * (gi * gi - v[i]);
    m[i] = mi;
    v[i] = vi;
    const float d = std::sqrt(vi) * root_scale + eps;
    w[i] = w[i] + step * (mi / d);
  }
}

}  // namespace lrbs::net::kernels
