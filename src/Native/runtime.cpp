// Runtime: last error, threads (libtorch's and the BLAS's), the live-handle counter.
#include "guard.h"
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>
#include <torch/version.h>
#include "net/layer.h"
#include "net/optimizer.h"

namespace lrbs {
std::atomic<int64_t> live_handles{0};
int64_t large_blocks_idle_bytes();
int64_t large_blocks_reused();
int64_t large_blocks_release();
int64_t memory_live();
int64_t memory_peak(bool reset);
static thread_local std::string last_error;
void set_error(const std::string& message) { last_error = message; }
void clear_error() { last_error.clear(); }

// OpenBLAS keeps its own thread pool; libtorch's set_num_threads does not reach it.
// Looked up at run time so the shim also loads against another BLAS.
template <typename F>
static F openblas(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
}
// glibc serves blocks above a dynamic threshold with mmap and returns them with munmap:
// every activation of a training step would be mapped, zero-faulted and unmapped again
// (measured: a third of a box-CNN epoch at batch 16 went to the kernel). Keep such blocks
// in the heap for reuse instead. Runs once when the shim loads.
__attribute__((constructor)) static void keep_freed_blocks() {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
}
}  // namespace lrbs

extern "C" {

const char* lrbs_last_error(void) { return lrbs::last_error.c_str(); }

int lrbs_runtime_set_threads(int n) {
  LRBS_TRY
  if (n < 1) throw std::invalid_argument("thread count must be >= 1, got " + std::to_string(n));
  at::set_num_threads(n);
  if (auto set = lrbs::openblas<void (*)(int)>("openblas_set_num_threads")) set(n);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_runtime_get_threads(void) {
  LRBS_TRY return at::get_num_threads();
  LRBS_CATCH(-1)
}

int lrbs_runtime_blas_threads(void) {
  LRBS_TRY
  auto get = lrbs::openblas<int (*)()>("openblas_get_num_threads");
  return get ? get() : 0;
  LRBS_CATCH(-1)
}

// The BLAS kernel family OpenBLAS chose (its OPENBLAS_CORETYPE, or what it detected): matrix
// products round differently per family, so a trial reproduces bit for bit only on the same one.
// "" when the BLAS is not OpenBLAS.
const char* lrbs_runtime_blas_core(void) {
  auto get = lrbs::openblas<char* (*)()>("openblas_get_corename");
  return get ? get() : "";
}

int64_t lrbs_runtime_live_handles(void) { return lrbs::live_handles.load(); }

// The test aid behind LRBS_FAULT: a real invalid memory access in native code, the crash a bug in
// a kernel would be (the .NET runtime ignores a SIGSEGV sent with raise(); a fault it cannot map to
// managed code kills the process). Deliberately outside the catch macro: nothing can catch it.
void lrbs_runtime_crash(void) {
  volatile int* nowhere = nullptr;
  *nowhere = 1;
}

const char* lrbs_runtime_version(void) { return TORCH_VERSION; }

int64_t lrbs_runtime_large_blocks_idle(void) { return lrbs::large_blocks_idle_bytes(); }
int64_t lrbs_runtime_large_blocks_reused(void) { return lrbs::large_blocks_reused(); }
int64_t lrbs_runtime_large_blocks_release(void) { return lrbs::large_blocks_release(); }
int64_t lrbs_runtime_memory_live(void) { return lrbs::memory_live(); }
int64_t lrbs_runtime_memory_peak(int reset) { return lrbs::memory_peak(reset != 0); }

int lrbs_runtime_fused_updates(int enabled) {
  const bool previous = lrbs::net::fused_updates;
  lrbs::net::fused_updates = enabled != 0;
  return previous ? 1 : 0;
}

int lrbs_runtime_direct_conv(int enabled) {
  const bool previous = lrbs::net::direct_conv;
  lrbs::net::direct_conv = enabled != 0;
  return previous ? 1 : 0;
}

int lrbs_runtime_direct_dense(int enabled) {
  const bool previous = lrbs::net::direct_dense;
  lrbs::net::direct_dense = enabled != 0;
  return previous ? 1 : 0;
}

int64_t lrbs_runtime_direct_dense_passes(void) { return lrbs::net::direct_dense_passes.load(); }

int lrbs_runtime_vector_pooling(int enabled) {
  const bool previous = lrbs::net::vector_pooling;
  lrbs::net::vector_pooling = enabled != 0;
  return previous ? 1 : 0;
}
}
