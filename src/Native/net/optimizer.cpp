// The shared part of every optimizer: the step counter, the state's lifetime, and the
// per-member learning rates.
#include "optimizer.h"
#include <algorithm>

namespace lrbs::net {

bool fused_updates = true;

int64_t member_run(const Param& p, int64_t K) {
  return p.kind == ParamKind::DenseKernelWide ? p.value.size(2) : p.value.numel() / K;
}

bool Rates::uniform() const {
  return std::all_of(values.begin(), values.end(), [&](double v) { return v == values.front(); });
}

at::Tensor Rates::vector(const Param& p, int64_t K, double scale) const {
  std::vector<float> scaled(values.size());
  std::transform(values.begin(), values.end(), scaled.begin(), [&](double v) { return static_cast<float>(v * scale); });
  return at::tensor(scaled, p.value.options()).view(p.member_vector_shape(K));
}

std::vector<float> Rates::steps(double scale) const {
  std::vector<float> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(), [&](double v) { return static_cast<float>(-v * scale); });
  return out;
}

void Optimizer::step(const std::vector<Param*>& params, const Rates& lr, int64_t K) {
  if (state_.empty()) {
    for (const Param* p : params) {
      std::vector<at::Tensor> s;
      for (int i = 0; i < state_count(); ++i) s.push_back(at::zeros_like(p->value));
      state_.push_back(std::move(s));
    }
  }
  ++iterations_;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& w = params[i]->value;
    const bool fused = fused_updates && w.device().is_cpu() && w.scalar_type() == at::kFloat && w.is_contiguous() &&
                       params[i]->grad.is_contiguous();
    update(*params[i], state_[i], lr, K, iterations_, fused);
  }
}

void Optimizer::keep_members(const std::vector<Param*>& params, const at::Tensor& idx, int64_t K) {
  for (size_t i = 0; i < state_.size(); ++i)
    for (auto& s : state_[i]) s = params[i]->select_members(s, idx, K);
}

std::unique_ptr<Optimizer> make_optimizer(const lrbs_optimizer& o) {
  switch (o.kind) {
    case LRBS_OPT_SGD: return make_sgd(o);
    case LRBS_OPT_ADAM: return make_adam(o);
  }
  throw std::invalid_argument("unknown optimizer kind " + std::to_string(o.kind));
}

}  // namespace lrbs::net
