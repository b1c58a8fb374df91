// The direct Dense kernels (dense_direct.h).
#include "dense_direct.h"
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

// BLAS's single-precision product, column-major (the routine ATen's cpublas::gemm calls).
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k, const float* alpha, const float* a, const int* lda,
                       const float* b, const int* ldb, const float* beta, float* c, const int* ldc);

namespace lrbs::net::dense_direct {
namespace {
int blas_int(int64_t v, const char* what) {
  if (v < 0 || v > std::numeric_limits<int>::max()) throw std::invalid_argument(std::string("dense: ") + what + " out of BLAS's range");
  return static_cast<int>(v);
}

// Row-major C (m, n) = alpha op(A) op(B) + beta C, as column-major C^T = op(B)^T op(A)^T.
void gemm_rows(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
               int64_t ldc) {
  const int M = blas_int(n, "width"), N = blas_int(m, "rows"), K = blas_int(k, "inner size");
  const int LDA = blas_int(ldb, "stride"), LDB = blas_int(lda, "stride"), LDC = blas_int(ldc, "stride");
  const float one = 1.0f;
  sgemm_(trans_b ? "T" : "N", trans_a ? "T" : "N", &M, &N, &K, &one, b, &LDA, a, &LDB, &beta, c, &LDC);
}

}  // namespace

void affine(const float* x, const float* w, const float* b, int64_t n, int64_t in, int64_t out, float* z) {
  for (int64_t r = 0; r < n; ++r) std::memcpy(z + r * out, b, sizeof(float) * out);
  gemm_rows(false, false, n, out, in, x, in, w, out, 1.0f, z, out);
}

void kernel_grad(const float* x, const float* dz, int64_t n, int64_t in, int64_t out, float* dw) {
  gemm_rows(true, false, in, out, n, x, in, dz, out, 0.0f, dw, out);
}

void input_grad(const float* dz, const float* w, int64_t n, int64_t in, int64_t out, float* dx) {
  gemm_rows(false, true, n, in, out, dz, out, w, out, 0.0f, dx, in);
}

void relu(const float* __restrict z, int64_t count, float* __restrict a) {
  for (int64_t i = 0; i < count; ++i) {
    const float v = z[i];
    a[i] = (v > 0.0f) | (v != v) ? v : 0.0f;  // `|`, not `||`: no branch, so the loop vectorises
  }
}

void relu_backward(const float* __restrict dy, const float* __restrict z, int64_t count, float* __restrict dz) {
  for (int64_t i = 0; i < count; ++i) {
    const float g = dy[i];  // read unconditionally, so the loop vectorises
    dz[i] = z[i] <= 0.0f ? 0.0f : g;
  }
}
}  // namespace lrbs::net::dense_direct
