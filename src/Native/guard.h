// Shared internals of the shim: the tensor handle, the live-handle counter,
// the thread-local last error and the one macro pair every exported body uses.
#pragma once
#include <ATen/ATen.h>
#include <atomic>
#include <string>
#include "lrbs_native.h"

struct lrbs_tensor {
  at::Tensor t;
};

namespace lrbs {
extern std::atomic<int64_t> live_handles;
void set_error(const std::string& message);
void clear_error();

inline lrbs_tensor* wrap(at::Tensor t) {
  live_handles.fetch_add(1, std::memory_order_relaxed);
  return new lrbs_tensor{std::move(t)};
}

inline at::Tensor& get(lrbs_tensor* h) {
  if (h == nullptr) throw std::invalid_argument("null tensor handle");
  return h->t;
}
}  // namespace lrbs

// Every exported function body is LRBS_TRY { ... } LRBS_CATCH(error_value).
#define LRBS_TRY \
  try {          \
    lrbs::clear_error();
#define LRBS_CATCH(error_value)                              \
  }                                                          \
  catch (const c10::Error& e) {                              \
    lrbs::set_error(e.what_without_backtrace());             \
    return error_value;                                      \
  }                                                          \
  catch (const std::exception& e) {                          \
    lrbs::set_error(e.what());                               \
    return error_value;                                      \
  }                                                          \
  catch (...) {                                              \
    lrbs::set_error("unknown C++ exception in lrbs_native"); \
    return error_value;                                      \
  }
