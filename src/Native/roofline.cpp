// The bounds of this machine that the bench's roofline compares each case with: the float32
// matrix-product rate (the BLAS's SGEMM through at::mm, as the layers use it) and the streaming
// bandwidth (a STREAM-style triad a = b + s c through at::add_out, ATen's vectorised loop), each
// at a given thread count, best of `repeats` timed runs after one untimed run. The caller sets
// the thread count back (lrbs_runtime_set_threads) afterwards.
#include "guard.h"
#include <ATen/Parallel.h>
#include <chrono>
#include <dlfcn.h>

namespace {
void set_threads(int threads) {
  if (threads < 1) throw std::invalid_argument("thread count must be >= 1, got " + std::to_string(threads));
  at::set_num_threads(threads);
  if (auto set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(threads);
}

template <typename F>
double best_seconds(int repeats, F&& run) {
  if (repeats < 1) throw std::invalid_argument("repeats must be >= 1, got " + std::to_string(repeats));
  run();
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    run();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (s < best) best = s;
  }
  return best;
}
}  // namespace

// Seconds of one n x n by n x n float32 product (2 n^3 floating-point operations).
int lrbs_roofline_sgemm(int n, int threads, int repeats, double* seconds) {
  LRBS_TRY
  if (n < 1) throw std::invalid_argument("matrix side must be >= 1, got " + std::to_string(n));
  if (seconds == nullptr) throw std::invalid_argument("null output");
  set_threads(threads);
  auto a = at::rand({n, n}), b = at::rand({n, n}), c = at::empty({n, n});
  *seconds = best_seconds(repeats, [&] { at::mm_out(c, a, b); });
  return 0;
  LRBS_CATCH(-1)
}

// Seconds of one triad over `elements` float32 values per array (reads b and c, writes a: 12
// bytes per element, as STREAM counts them); each timed run makes `passes` triads back to back
// (a cache-sized triad takes microseconds) and the result is per triad.
int lrbs_roofline_triad(int64_t elements, int passes, int threads, int repeats, double* seconds) {
  LRBS_TRY
  if (elements < 1) throw std::invalid_argument("element count must be >= 1, got " + std::to_string(elements));
  if (passes < 1) throw std::invalid_argument("passes must be >= 1, got " + std::to_string(passes));
  if (seconds == nullptr) throw std::invalid_argument("null output");
  set_threads(threads);
  auto a = at::zeros({elements}), b = at::rand({elements}), c = at::rand({elements});
  *seconds = best_seconds(repeats,
                          [&] {
                            for (int p = 0; p < passes; ++p) at::add_out(a, b, c, 3.0);
                          }) /
             passes;
  return 0;
  LRBS_CATCH(-1)
}
