// The shared part of every optimizer: the step counter, the state's lifetime, and the
// per-member learning rates.
#include "optimizer.h"
#include <algorithm>

namespace lrbs::net {

bool fused_updates = true;

int64_t member_run(const Param& p, int64_t K) { return p.kind == ParamKind::DenseKernelWide ? p.value.size(2) : p.value.numel() / K; }

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

at::Tensor member_norms(const Param& p, const at::Tensor& t, int64_t K) {
  const auto sq = t.to(at::kDouble).square();
  const auto sums = p.kind == ParamKind::DenseKernelWide ? sq.sum(at::IntArrayRef{0, 2}) : sq.view({K, -1}).sum(1);
  return sums.sqrt().to(t.scalar_type()).view(p.member_vector_shape(K));
}

void Optimizer::read_weight_decay(Settings& s) { weight_decay_ = s.number("weight_decay"); }

void Optimizer::decay(const Param& p, const Rates& lr, int64_t K) const {
  if (lr.uniform())
    p.value.add_(p.value, -lr.values[0] * weight_decay_);
  else
    p.by_member(p.value, K).addcmul_(lr.vector(p, K, weight_decay_), p.by_member(p.value, K), -1.0);
}

void Optimizer::ensure_state(const std::vector<Param*>& params) {
  if (!state_.empty()) return;
  for (const Param* p : params) {
    std::vector<at::Tensor> s;
    for (int i = 0; i < state_count(); ++i) s.push_back(at::zeros_like(p->value));
    state_.push_back(std::move(s));
  }
}

void Optimizer::set_iterations(int64_t t) {
  if (t < 0) throw std::invalid_argument("the optimizer's step count must be >= 0, got " + std::to_string(t));
  iterations_ = t;
}

std::vector<at::Tensor>& Optimizer::state(const std::vector<Param*>& params, size_t i) {
  ensure_state(params);
  if (i >= state_.size()) throw std::invalid_argument("parameter " + std::to_string(i) + " has no optimizer state");
  return state_[i];
}

void Optimizer::step(const std::vector<Param*>& params, const Rates& lr, int64_t K) {
  ensure_state(params);
  ++iterations_;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& w = params[i]->value;
    const bool fused = fused_updates && w.device().is_cpu() && w.scalar_type() == at::kFloat && w.is_contiguous() && params[i]->grad.is_contiguous();
    if (weight_decay_ > 0.0) decay(*params[i], lr, K);
    update(*params[i], state_[i], lr, K, iterations_, fused);
  }
}

void Optimizer::keep_members(const std::vector<Param*>& params, const at::Tensor& idx, int64_t K) {
  for (size_t i = 0; i < state_.size(); ++i)
    for (auto& s : state_[i]) s = params[i]->select_members(s, idx, K);
}

Registry<OptimizerFactory>& optimizers() {
  static Registry<OptimizerFactory> r("optimizer");
  return r;
}

std::unique_ptr<Optimizer> make_optimizer(const lrbs_optimizer& o) {
  if (o.kind == nullptr) throw std::invalid_argument("null optimizer kind");
  const auto& factory = optimizers().get(o.kind);
  Settings s(std::string("optimizer ") + o.kind, o.settings, o.n_settings);
  auto made = factory(s);
  s.finish();
  return made;
}

}  // namespace lrbs::net
