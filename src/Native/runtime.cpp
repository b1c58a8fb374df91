// Runtime: last error, threads, seeding, the live-handle counter.
#include "guard.h"
#include <ATen/Parallel.h>
#include <torch/version.h>

namespace lrbs {
std::atomic<int64_t> live_tensors{0};
static thread_local std::string last_error;
void set_error(const std::string& message) { last_error = message; }
void clear_error() { last_error.clear(); }
}  // namespace lrbs

extern "C" {

const char* lrbs_last_error(void) { return lrbs::last_error.c_str(); }

int lrbs_runtime_set_threads(int n) {
  LRBS_TRY
  if (n < 1) throw std::invalid_argument("thread count must be >= 1, got " + std::to_string(n));
  at::set_num_threads(n);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_runtime_get_threads(void) {
  LRBS_TRY return at::get_num_threads(); LRBS_CATCH(-1)
}

int lrbs_runtime_manual_seed(uint64_t seed) {
  LRBS_TRY
  at::manual_seed(seed);
  return 0;
  LRBS_CATCH(-1)
}

int64_t lrbs_runtime_live_tensors(void) { return lrbs::live_tensors.load(); }

const char* lrbs_runtime_version(void) { return TORCH_VERSION; }
}
