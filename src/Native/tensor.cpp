// Tensors: creation from and copy to managed buffers, shape, disposal.
#include "guard.h"
#include <cstring>
#include <vector>

using lrbs::get;
using lrbs::wrap;

static std::vector<int64_t> dims(const int64_t* shape, int ndim) {
  if (ndim < 0) throw std::invalid_argument("negative rank");
  if (ndim > 0 && shape == nullptr) throw std::invalid_argument("null shape");
  return std::vector<int64_t>(shape, shape + ndim);
}

// A new tensor of `dtype` holding a copy of the caller's buffer.
template <typename T>
static at::Tensor from_buffer(const T* data, const int64_t* shape, int ndim, at::ScalarType dtype) {
  auto t = at::empty(dims(shape, ndim), dtype);
  if (t.numel() > 0) {
    if (data == nullptr) throw std::invalid_argument("null data");
    std::memcpy(t.data_ptr<T>(), data, sizeof(T) * t.numel());
  }
  return t;
}

// Copies a tensor (converted to `dtype`) into the caller's buffer of `count` values.
template <typename T>
static void copy_out(const at::Tensor& src, T* out, int64_t count, at::ScalarType dtype) {
  auto t = src.detach().to(at::kCPU).to(dtype).contiguous();
  if (t.numel() != count) throw std::invalid_argument("buffer holds " + std::to_string(count) + " values but the tensor has " + std::to_string(t.numel()));
  if (count > 0) std::memcpy(out, t.data_ptr<T>(), sizeof(T) * count);
}

extern "C" {

lrbs_tensor* lrbs_tensor_from_float32(const float* data, const int64_t* shape, int ndim) {
  LRBS_TRY return wrap(from_buffer(data, shape, ndim, at::kFloat));
  LRBS_CATCH(nullptr)
}

lrbs_tensor* lrbs_tensor_view_float32(const float* data, const int64_t* shape, int ndim) {
  LRBS_TRY
  auto d = dims(shape, ndim);
  int64_t n = 1;
  for (auto v : d) {
    if (v < 0) throw std::invalid_argument("negative dimension");
    n *= v;
  }
  if (n > 0 && data == nullptr) throw std::invalid_argument("null data");
  return wrap(at::from_blob(const_cast<float*>(data), d, at::TensorOptions().dtype(at::kFloat)));
  LRBS_CATCH(nullptr)
}

lrbs_tensor* lrbs_tensor_from_int64(const int64_t* data, const int64_t* shape, int ndim) {
  LRBS_TRY return wrap(from_buffer(data, shape, ndim, at::kLong));
  LRBS_CATCH(nullptr)
}

int lrbs_tensor_to_float32(lrbs_tensor* h, float* out, int64_t count) {
  LRBS_TRY copy_out(get(h), out, count, at::kFloat);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_tensor_to_int64(lrbs_tensor* h, int64_t* out, int64_t count) {
  LRBS_TRY copy_out(get(h), out, count, at::kLong);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_tensor_shape(lrbs_tensor* h, int64_t* out, int capacity) {
  LRBS_TRY
  auto& t = get(h);
  if (capacity < t.dim()) throw std::invalid_argument("shape buffer too small");
  for (int64_t i = 0; i < t.dim(); ++i) out[i] = t.size(i);
  return static_cast<int>(t.dim());
  LRBS_CATCH(-1)
}

int64_t lrbs_tensor_numel(lrbs_tensor* h) {
  LRBS_TRY return get(h).numel();
  LRBS_CATCH(-1)
}

void lrbs_tensor_dispose(lrbs_tensor* h) {
  if (h == nullptr) return;
  lrbs::live_handles.fetch_sub(1, std::memory_order_relaxed);
  delete h;  // at::Tensor's destructor does not throw
}
}
