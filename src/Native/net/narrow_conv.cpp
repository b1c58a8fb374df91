// The direct convolution of narrow_conv.h. Every loop works example by example, so that an
// example's rows stay in the caches while all the kernel's taps use them; the row loops are
// AVX2 + FMA where the CPU has them (one multiply-add per element and lane), plain loops
// otherwise.
#include "narrow_conv.h"
#include <ATen/Parallel.h>
#include <immintrin.h>
#include <algorithm>
#include <vector>

namespace lrbs::net {
bool direct_conv = true;
}

namespace lrbs::net::narrow {
namespace {
#define LRBS_AVX2_FMA __attribute__((target("avx2,fma")))
const bool has_avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");

// y[i] += a x[i], i < n.
LRBS_AVX2_FMA void axpy_avx2(float a, const float* x, float* y, int64_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}
void axpy_plain(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}
inline void axpy(float a, const float* x, float* y, int64_t n) { has_avx2_fma ? axpy_avx2(a, x, y, n) : axpy_plain(a, x, y, n); }

// sum of x[i] y[i], i < n: eight lanes, then the lanes in order.
LRBS_AVX2_FMA float dot_avx2(const float* x, const float* y, int64_t n) {
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, acc);
  float sum = 0;
  for (float v : lanes) sum += v;
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}
float dot_plain(const float* x, const float* y, int64_t n) {
  float sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i] * y[i];
  return sum;
}
inline float dot(const float* x, const float* y, int64_t n) { return has_avx2_fma ? dot_avx2(x, y, n) : dot_plain(x, y, n); }

// The output columns ox whose input column ox s + kx - p lies inside [0, width): [first, last).
struct Span {
  int64_t first, last;
};
Span columns(int64_t kx, int64_t stride, int64_t pad, int64_t width, int64_t out_width) {
  const int64_t lo = pad - kx;  // ox s + kx - p >= 0  <=>  ox >= ceil((p - kx) / s)
  const int64_t first = lo <= 0 ? 0 : (lo + stride - 1) / stride;
  const int64_t hi = width - 1 - kx + pad;  // ox s + kx - p <= width - 1
  const int64_t last = hi < 0 ? 0 : std::min(out_width, hi / stride + 1);
  return {first, std::max(first, last)};
}

// The geometry of one call, with each kernel column's span computed once.
struct Geometry {
  int64_t N, C, H, W, F, k, s, p, OH, OW, sN, sC;
  std::vector<Span> spans;
  Geometry(const at::Tensor& x, const at::Tensor& w, int64_t stride, int64_t pad, int64_t oh, int64_t ow)
      : N(x.size(0)),
        C(x.size(1)),
        H(x.size(2)),
        W(x.size(3)),
        F(w.size(0)),
        k(w.size(2)),
        s(stride),
        p(pad),
        OH(oh),
        OW(ow),
        sN(x.stride(0)),
        sC(x.stride(1)) {
    TORCH_CHECK(x.dim() == 4 && w.dim() == 4 && x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat, "narrow conv: float32 NCHW");
    TORCH_CHECK(x.stride(3) == 1 && x.stride(2) == W, "narrow conv: input planes must be contiguous");
    TORCH_CHECK(w.is_contiguous() && w.size(1) == C && w.size(2) == w.size(3), "narrow conv: weight (F, C, k, k)");
    for (int64_t kx = 0; kx < k; ++kx) spans.push_back(columns(kx, s, p, W, OW));
  }
};

// ---- stride 1 with AVX2 + FMA: register-blocked over 8 output columns and up to 8 filters ----

inline int64_t ceil8(int64_t v) { return (v + 7) / 8 * 8; }

// One example's planes copied into zero-padded rows: pad p rows above and below and p columns
// on the left; each row `stride` floats wide (room for whole vectors of 8 past the edge).
void pad_planes(const float* x, int64_t sC, int64_t C, int64_t H, int64_t W, int64_t p, int64_t stride, float* out) {
  const int64_t rows = H + 2 * p;
  std::fill(out, out + C * rows * stride, 0.0f);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y) std::copy(x + c * sC + y * W, x + c * sC + y * W + W, out + (c * rows + y + p) * stride + p);
}

// FB filters from f0 of one output row: z[f0 + j][oy][ox] for every ox, from padded planes P
// (C planes of `rows` rows of `stride` floats) and weights wt[(c k + ky) k + kx][f] (F wide).
template <int FB>
LRBS_AVX2_FMA void row_block(const float* P, int64_t rows, int64_t stride, int64_t C, int64_t k, const float* wt, int64_t F, int64_t f0, const float* bias,
                             int64_t oy, int64_t OW, float* const* zr) {
  for (int64_t ox0 = 0; ox0 < OW; ox0 += 8) {
    __m256 acc[FB];
    for (int j = 0; j < FB; ++j) acc[j] = _mm256_set1_ps(bias[f0 + j]);
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ky = 0; ky < k; ++ky) {
        const float* row = P + (c * rows + oy + ky) * stride + ox0;
        const float* wk = wt + ((c * k + ky) * k) * F + f0;
        for (int64_t kx = 0; kx < k; ++kx) {
          const __m256 xv = _mm256_loadu_ps(row + kx);
          for (int j = 0; j < FB; ++j) acc[j] = _mm256_fmadd_ps(_mm256_broadcast_ss(wk + kx * F + j), xv, acc[j]);
        }
      }
    if (ox0 + 8 <= OW) {
      for (int j = 0; j < FB; ++j) _mm256_storeu_ps(zr[j] + ox0, acc[j]);
    } else {
      alignas(32) float tail[8];
      for (int j = 0; j < FB; ++j) {
        _mm256_store_ps(tail, acc[j]);
        std::copy(tail, tail + (OW - ox0), zr[j] + ox0);
      }
    }
  }
}

using RowBlock = void (*)(const float*, int64_t, int64_t, int64_t, int64_t, const float*, int64_t, int64_t, const float*, int64_t, int64_t, float* const*);
const RowBlock row_blocks[9] = {nullptr, row_block<1>, row_block<2>, row_block<3>, row_block<4>, row_block<5>, row_block<6>, row_block<7>, row_block<8>};

// z (N, F, OH, OW) = conv(x, w) + b at stride 1 and padding p, x's planes contiguous.
at::Tensor forward_stride1(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, int64_t p) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), F = w.size(0), k = w.size(2);
  const int64_t OH = H + 2 * p - k + 1, OW = W + 2 * p - k + 1, rows = H + 2 * p, stride = ceil8(OW) + k - 1 + 8;
  auto z = at::empty({N, F, OH, OW}, x.options());
  // weights as [(c k + ky) k + kx][f]: a tap's filters side by side
  std::vector<float> wt(C * k * k * F);
  const float* wd = w.data_ptr<float>();
  for (int64_t f = 0; f < F; ++f)
    for (int64_t t = 0; t < C * k * k; ++t) wt[t * F + f] = wd[f * C * k * k + t];
  const float* xd = x.data_ptr<float>();
  const float* bd = b.data_ptr<float>();
  float* zd = z.data_ptr<float>();
  const int64_t sN = x.stride(0), sC = x.stride(1);
  at::parallel_for(0, N, 1, [&](int64_t n0, int64_t n1) {
    std::vector<float> P(C * rows * stride);
    std::vector<float*> zr(8);
    for (int64_t n = n0; n < n1; ++n) {
      pad_planes(xd + n * sN, sC, C, H, W, p, stride, P.data());
      for (int64_t oy = 0; oy < OH; ++oy)
        for (int64_t f0 = 0; f0 < F; f0 += 8) {
          const int64_t fb = std::min<int64_t>(8, F - f0);
          for (int64_t j = 0; j < fb; ++j) zr[j] = zd + ((n * F + f0 + j) * OH + oy) * OW;
          row_blocks[fb](P.data(), rows, stride, C, k, wt.data(), F, f0, bd, oy, OW, zr.data());
        }
    }
  });
  return z;
}

// dw (F, C, k, k) and db (F) at stride 1: per example, dz's rows (zero past OW, so whole vectors
// may run over the edge) against the padded input's rows, one vector accumulator per kernel
// column; each thread sums its examples into its own arrays.
LRBS_AVX2_FMA void weight_grads_example(const float* P, int64_t rows, int64_t stride, const float* D, int64_t dstride, int64_t C, int64_t F, int64_t k,
                                        int64_t OH, float* dw) {
  for (int64_t f = 0; f < F; ++f)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ky = 0; ky < k; ++ky) {
        __m256 acc[8];
        for (int64_t kx = 0; kx < k; ++kx) acc[kx] = _mm256_setzero_ps();
        for (int64_t oy = 0; oy < OH; ++oy) {
          const float* gr = D + (f * OH + oy) * dstride;
          const float* xr = P + (c * rows + oy + ky) * stride;
          for (int64_t ox0 = 0; ox0 < dstride; ox0 += 8) {
            const __m256 gv = _mm256_loadu_ps(gr + ox0);
            for (int64_t kx = 0; kx < k; ++kx) acc[kx] = _mm256_fmadd_ps(gv, _mm256_loadu_ps(xr + ox0 + kx), acc[kx]);
          }
        }
        for (int64_t kx = 0; kx < k; ++kx) {
          alignas(32) float lanes[8];
          _mm256_store_ps(lanes, acc[kx]);
          float sum = 0;
          for (float v : lanes) sum += v;
          dw[((f * C + c) * k + ky) * k + kx] += sum;
        }
      }
}

std::pair<at::Tensor, at::Tensor> weight_grads_stride1(const at::Tensor& dz, const at::Tensor& x, const at::Tensor& w, int64_t p) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3), F = w.size(0), k = w.size(2);
  const int64_t OH = dz.size(2), OW = dz.size(3), rows = H + 2 * p, dstride = ceil8(OW), stride = dstride + k - 1 + 8;
  const float* xd = x.data_ptr<float>();
  const float* gd = dz.data_ptr<float>();
  const int64_t sN = x.stride(0), sC = x.stride(1), taps = F * C * k * k;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), N));
  std::vector<std::vector<float>> dws(chunks, std::vector<float>(taps, 0.0f)), dbs(chunks, std::vector<float>(F, 0.0f));
  at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    std::vector<float> P(C * rows * stride), D(F * OH * dstride, 0.0f);
    for (int64_t t = c0; t < c1; ++t)
      for (int64_t n = N * t / chunks; n < N * (t + 1) / chunks; ++n) {
        pad_planes(xd + n * sN, sC, C, H, W, p, stride, P.data());
        for (int64_t f = 0; f < F; ++f)
          for (int64_t oy = 0; oy < OH; ++oy) {
            const float* gr = gd + ((n * F + f) * OH + oy) * OW;
            std::copy(gr, gr + OW, D.data() + (f * OH + oy) * dstride);
            float rowsum = 0;
            for (int64_t ox = 0; ox < OW; ++ox) rowsum += gr[ox];
            dbs[t][f] += rowsum;
          }
        weight_grads_example(P.data(), rows, stride, D.data(), dstride, C, F, k, OH, dws[t].data());
      }
  });
  auto dw = at::zeros_like(w);
  auto db = at::zeros({F}, w.options());
  float* dwd = dw.data_ptr<float>();
  float* dbd = db.data_ptr<float>();
  for (int64_t t = 0; t < chunks; ++t) {
    for (int64_t i = 0; i < taps; ++i) dwd[i] += dws[t][i];
    for (int64_t f = 0; f < F; ++f) dbd[f] += dbs[t][f];
  }
  return {dw, db};
}

// dx at stride 1: the convolution of dz, padded by k - 1 - p, with the kernel flipped and its
// filter and channel axes swapped.
at::Tensor input_grad_stride1(const at::Tensor& dz, const at::Tensor& w, int64_t p) {
  const auto flipped = w.flip({2, 3}).transpose(0, 1).contiguous();
  return forward_stride1(dz, flipped, at::zeros({w.size(1)}, w.options()), w.size(2) - 1 - p);
}

bool vectorised(int64_t s, int64_t k, int64_t p) { return has_avx2_fma && s == 1 && k <= 8 && p < k; }
}  // namespace

at::Tensor forward(const at::Tensor& x, const at::Tensor& w_, const at::Tensor& b_, int64_t s, int64_t p) {
  const auto w = w_.contiguous(), b = b_.contiguous();
  if (vectorised(s, w.size(2), p)) {
    const Geometry check(x, w, s, p, 1, 1);
    return forward_stride1(x, w, b, p);
  }
  const int64_t H = x.size(2), W = x.size(3), k = w.size(2);
  const Geometry g(x, w, s, p, (H + 2 * p - k) / s + 1, (W + 2 * p - k) / s + 1);
  auto z = at::empty({g.N, g.F, g.OH, g.OW}, x.options());
  const float* xd = x.data_ptr<float>();
  const float* wd = w.data_ptr<float>();
  const float* bd = b.data_ptr<float>();
  float* zd = z.data_ptr<float>();
  at::parallel_for(0, g.N, 1, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n)
      for (int64_t f = 0; f < g.F; ++f)
        for (int64_t oy = 0; oy < g.OH; ++oy) {
          float* zr = zd + ((n * g.F + f) * g.OH + oy) * g.OW;
          std::fill(zr, zr + g.OW, bd[f]);
          for (int64_t c = 0; c < g.C; ++c)
            for (int64_t ky = 0; ky < g.k; ++ky) {
              const int64_t iy = oy * g.s + ky - g.p;
              if (iy < 0 || iy >= g.H) continue;
              const float* xr = xd + n * g.sN + c * g.sC + iy * g.W;
              const float* wr = wd + ((f * g.C + c) * g.k + ky) * g.k;
              for (int64_t kx = 0; kx < g.k; ++kx) {
                const auto [first, last] = g.spans[kx];
                if (g.s == 1)
                  axpy(wr[kx], xr + first + kx - g.p, zr + first, last - first);
                else
                  for (int64_t ox = first; ox < last; ++ox) zr[ox] += wr[kx] * xr[ox * g.s + kx - g.p];
              }
            }
        }
  });
  return z;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(const at::Tensor& dz_, const at::Tensor& x, const at::Tensor& w_, int64_t s, int64_t p, bool need_dx) {
  const auto dz = dz_.contiguous(), w = w_.contiguous();
  const Geometry g(x, w, s, p, dz.size(2), dz.size(3));
  TORCH_CHECK(dz.size(0) == g.N && dz.size(1) == g.F, "narrow conv: dz (N, F, OH, OW)");
  if (vectorised(s, g.k, p)) {
    auto [dw, db] = weight_grads_stride1(dz, x, w, p);
    return {need_dx ? input_grad_stride1(dz, w, p) : at::Tensor(), dw, db};
  }
  const float* xd = x.data_ptr<float>();
  const float* wd = w.data_ptr<float>();
  const float* gd = dz.data_ptr<float>();
  const int64_t taps = g.F * g.C * g.k * g.k;
  // dw and db: each thread sums its examples into its own arrays (example by example, so that an
  // example's rows serve every tap from the caches), then the threads' arrays are added in order
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), g.N));
  std::vector<std::vector<float>> dws(chunks, std::vector<float>(taps, 0.0f)), dbs(chunks, std::vector<float>(g.F, 0.0f));
  at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t t = c0; t < c1; ++t) {
      float* dwt = dws[t].data();
      float* dbt = dbs[t].data();
      for (int64_t n = g.N * t / chunks; n < g.N * (t + 1) / chunks; ++n)
        for (int64_t f = 0; f < g.F; ++f)
          for (int64_t oy = 0; oy < g.OH; ++oy) {
            const float* gr = gd + ((n * g.F + f) * g.OH + oy) * g.OW;
            float rowsum = 0;
            for (int64_t ox = 0; ox < g.OW; ++ox) rowsum += gr[ox];
            dbt[f] += rowsum;
            for (int64_t c = 0; c < g.C; ++c)
              for (int64_t ky = 0; ky < g.k; ++ky) {
                const int64_t iy = oy * g.s + ky - g.p;
                if (iy < 0 || iy >= g.H) continue;
                const float* xr = xd + n * g.sN + c * g.sC + iy * g.W;
                float* dwr = dwt + ((f * g.C + c) * g.k + ky) * g.k;
                for (int64_t kx = 0; kx < g.k; ++kx) {
                  const auto [first, last] = g.spans[kx];
                  if (g.s == 1)
                    dwr[kx] += dot(gr + first, xr + first + kx - g.p, last - first);
                  else
                    for (int64_t ox = first; ox < last; ++ox) dwr[kx] += gr[ox] * xr[ox * g.s + kx - g.p];
                }
              }
          }
    }
  });
  auto dw = at::zeros_like(w);
  auto db = at::zeros({g.F}, w.options());
  float* dwd = dw.data_ptr<float>();
  float* dbd = db.data_ptr<float>();
  for (int64_t t = 0; t < chunks; ++t) {
    for (int64_t i = 0; i < taps; ++i) dwd[i] += dws[t][i];
    for (int64_t f = 0; f < g.F; ++f) dbd[f] += dbs[t][f];
  }
  at::Tensor dx;
  if (need_dx) {
    dx = at::zeros({g.N, g.C, g.H, g.W}, x.options());
    float* dxd = dx.data_ptr<float>();
    at::parallel_for(0, g.N, 1, [&](int64_t n0, int64_t n1) {
      for (int64_t n = n0; n < n1; ++n)
        for (int64_t f = 0; f < g.F; ++f)
          for (int64_t oy = 0; oy < g.OH; ++oy) {
            const float* gr = gd + ((n * g.F + f) * g.OH + oy) * g.OW;
            for (int64_t c = 0; c < g.C; ++c)
              for (int64_t ky = 0; ky < g.k; ++ky) {
                const int64_t iy = oy * g.s + ky - g.p;
                if (iy < 0 || iy >= g.H) continue;
                float* dr = dxd + ((n * g.C + c) * g.H + iy) * g.W;
                const float* wr = wd + ((f * g.C + c) * g.k + ky) * g.k;
                for (int64_t kx = 0; kx < g.k; ++kx) {
                  const auto [first, last] = g.spans[kx];
                  if (g.s == 1)
                    axpy(wr[kx], gr + first, dr + first + kx - g.p, last - first);
                  else
                    for (int64_t ox = first; ox < last; ++ox) dr[ox * g.s + kx - g.p] += wr[kx] * gr[ox];
                }
              }
          }
    });
  }
  return {dx, dw, db};
}
}  // namespace lrbs::net::narrow
