// LARS (You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional Networks"), as
// optax implements it (optax/_src/alias.py `lars`: add_decayed_weights, then
// scale_by_trust_ratio, scale_by_learning_rate, trace), every parameter in the weight decay
// and the trust ratio (optax's default masks). Per parameter array of each member:
//   u = g + wd w
//   ratio = eta |w| / (|u| + eps), or 1 where |w| = 0 or |u| = 0     (eta: trust_coefficient)
//   u = -lr ratio u
//   b = momentum b + u;  w += b   (nesterov: w += momentum b + u)
// Keys: momentum (0.9), nesterov (false), weight_decay (0), eta (0.001), epsilon (0).
#include "optimizer.h"

namespace lrbs::net {
namespace {
class Lars final : public Optimizer {
 public:
  explicit Lars(Settings& s)
      : mu_(s.number("momentum")), nesterov_(s.flag("nesterov")), wd_(s.number("weight_decay")), eta_(s.number("eta")), eps_(s.number("epsilon")) {}

  int state_count() const override { return 1; }

 protected:
  void update(const Param& p, std::vector<at::Tensor>& state, const Rates& lr, int64_t K, int64_t, bool) override {
    const auto& w = p.value;
    auto u = wd_ > 0.0 ? p.grad + w * wd_ : p.grad.clone();
    const auto wn = member_norms(p, w, K), un = member_norms(p, u, K);
    const auto ratio = at::where(wn.eq(0).logical_or(un.eq(0)), at::ones_like(wn), wn * eta_ / (un + eps_));
    p.by_member(u, K).mul_(ratio * lr.vector(p, K, -1.0));
    auto& b = state[0];
    b.mul_(mu_).add_(u);
    if (nesterov_)
      w.add_(b, mu_).add_(u);
    else
      w.add_(b);
  }

 private:
  double mu_;
  bool nesterov_;
  double wd_, eta_, eps_;
};
}  // namespace

LRBS_REGISTER(optimizers, "lars", [](Settings& s) -> std::unique_ptr<Optimizer> { return std::make_unique<Lars>(s); });
}  // namespace lrbs::net
