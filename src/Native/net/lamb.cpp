// LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning: Training BERT in 76
// minutes"), as optax implements it (optax/_src/alias.py `lamb`: scale_by_adam, then
// add_decayed_weights, scale_by_trust_ratio, scale_by_learning_rate), every parameter in the
// weight decay and the trust ratio (optax's default mask). Per parameter array of each member:
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   u = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + wd w
//   ratio = |w| / |u|, or 1 where |w| = 0 or |u| = 0
//   w -= lr ratio u
// Keys: beta1 (0.9), beta2 (0.999), epsilon (1e-6), weight_decay (0).
#include <cmath>
#include "optimizer.h"

namespace lrbs::net {
namespace {
class Lamb final : public Optimizer {
 public:
  explicit Lamb(Settings& s) : b1_(s.number("beta1")), b2_(s.number("beta2")), eps_(s.number("epsilon")), wd_(s.number("weight_decay")) {}

  int state_count() const override { return 2; }

 protected:
  void update(const Param& p, std::vector<at::Tensor>& state, const Rates& lr, int64_t K, int64_t t, bool) override {
    auto& m = state[0];
    auto& v = state[1];
    const auto& g = p.grad;
    const auto& w = p.value;
    m.mul_(b1_).add_(g, 1.0 - b1_);
    v.mul_(b2_).addcmul_(g, g, 1.0 - b2_);
    const double bc1 = 1.0 - std::pow(b1_, static_cast<double>(t)), bc2 = 1.0 - std::pow(b2_, static_cast<double>(t));
    auto u = (m / bc1) / ((v / bc2).sqrt_() + eps_);
    if (wd_ > 0.0) u.add_(w, wd_);
    const auto wn = member_norms(p, w, K), un = member_norms(p, u, K);
    const auto ratio = at::where(wn.eq(0).logical_or(un.eq(0)), at::ones_like(wn), wn / un);
    p.by_member(w, K).addcmul_(ratio * lr.vector(p, K), p.by_member(u, K), -1.0);
  }

 private:
  double b1_, b2_, eps_, wd_;
};
}  // namespace

LRBS_REGISTER(optimizers, "lamb", [](Settings& s) -> std::unique_ptr<Optimizer> { return std::make_unique<Lamb>(s); });
}  // namespace lrbs::net
