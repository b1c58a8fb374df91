// Parameters of K members: their layouts and Keras's.
#include "layer.h"

namespace lrbs::net {

at::Tensor Param::by_member(const at::Tensor& t, int64_t K) const { return kind == ParamKind::DenseKernelWide ? t : t.view({K, -1}); }

std::vector<int64_t> Param::member_vector_shape(int64_t K) const {
  if (kind == ParamKind::DenseKernelWide) return {1, K, 1};
  return {K, 1};
}

std::vector<int64_t> Param::keras_shape(int64_t K) const {
  switch (kind) {
    case ParamKind::DenseKernel:
      return {value.size(1), value.size(2)};
    case ParamKind::DenseKernelWide:
      return {value.size(0), value.size(2)};
    case ParamKind::DenseBias:
      return {value.size(1)};
    case ParamKind::ConvKernel:
      return {value.size(2), value.size(3), value.size(1), value.size(0) / K};
    case ParamKind::ConvBias:
      return {value.size(0) / K};
  }
  throw std::logic_error("unknown parameter kind");
}

// Member m's slice in this tensor's own layout (a view).
static at::Tensor slice(const Param& p, const at::Tensor& t, int64_t m, int64_t K) {
  switch (p.kind) {
    case ParamKind::DenseKernel:
    case ParamKind::DenseBias:
      return t.select(0, m);
    case ParamKind::DenseKernelWide:
      return t.select(1, m);
    case ParamKind::ConvKernel:
    case ParamKind::ConvBias: {
      const int64_t f = t.size(0) / K;
      return t.narrow(0, m * f, f);
    }
  }
  throw std::logic_error("unknown parameter kind");
}

at::Tensor Param::keras(const at::Tensor& t, int64_t m, int64_t K) const {
  auto s = slice(*this, t, m, K);
  if (kind == ParamKind::ConvKernel) s = s.permute({2, 3, 1, 0});  // (F, C, kh, kw) -> (kh, kw, C, F)
  return s.contiguous().clone();
}

void Param::set_keras(int64_t m, int64_t K, const at::Tensor& values) { set_keras(value, m, K, values); }

void Param::set_keras(at::Tensor& target, int64_t m, int64_t K, const at::Tensor& values) const {
  auto shape = keras_shape(K);
  if (values.numel() != c10::multiply_integers(shape))
    throw std::invalid_argument("expected " + std::to_string(c10::multiply_integers(shape)) + " values, got " + std::to_string(values.numel()));
  auto src = values.reshape(shape);
  if (kind == ParamKind::ConvKernel) src = src.permute({3, 2, 0, 1});  // (kh, kw, C, F) -> (F, C, kh, kw)
  at::NoGradGuard no_grad;
  slice(*this, target, m, K).copy_(src);
}

at::Tensor Param::select_members(const at::Tensor& t, const at::Tensor& idx, int64_t K) const {
  const int64_t kept = idx.numel();
  if (kind == ParamKind::DenseKernelWide) return t.index_select(1, idx).contiguous();
  auto shape = t.sizes().vec();
  shape[0] = shape[0] / K * kept;  // (K, ...) and (K*F, ...) alike
  return t.view({K, -1}).index_select(0, idx).reshape(shape);
}

}  // namespace lrbs::net
