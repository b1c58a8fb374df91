// RMSprop (Hinton's lecture 6e; Keras 3 keras/src/optimizers/rmsprop.py), Keras's defaults
// rho 0.9, momentum 0, epsilon 1e-7, centered false; weight decay as Keras 3 (optimizer.h):
//   v = rho v + (1 - rho) g^2
//   centered: a = rho a + (1 - rho) g;  d = v - a^2 + eps,  else d = v + eps  (eps inside the root)
//   u = lr g / sqrt(d)
//   momentum > 0: b = momentum b + u;  w -= b,  else w -= u
// State per parameter: v, then a (centered), then b (momentum).
#include "optimizer.h"

namespace lrbs::net {
namespace {
class RmsProp final : public Optimizer {
 public:
  explicit RmsProp(Settings& s) : rho_(s.number("rho")), mu_(s.number("momentum")), eps_(s.number("epsilon")), centered_(s.flag("centered")) {
    read_weight_decay(s);
  }

  int state_count() const override { return 1 + (centered_ ? 1 : 0) + (mu_ > 0.0 ? 1 : 0); }

 protected:
  void update(const Param& p, std::vector<at::Tensor>& state, const Rates& lr, int64_t K, int64_t, bool) override {
    const auto& g = p.grad;
    auto& v = state[0];
    v.mul_(rho_).addcmul_(g, g, 1.0 - rho_);
    at::Tensor d;
    if (centered_) {
      auto& a = state[1];
      a.mul_(rho_).add_(g, 1.0 - rho_);
      d = (v - a * a).add_(eps_);
    } else {
      d = v + eps_;
    }
    auto u = g / d.sqrt_();
    p.by_member(u, K).mul_(lr.vector(p, K));
    if (mu_ > 0.0) {
      auto& b = state.back();
      b.mul_(mu_).add_(u);
      p.value.sub_(b);
    } else {
      p.value.sub_(u);
    }
  }

 private:
  double rho_, mu_, eps_;
  bool centered_;
};
}  // namespace

LRBS_REGISTER(optimizers, "rmsprop", [](Settings& s) -> std::unique_ptr<Optimizer> { return std::make_unique<RmsProp>(s); });
}  // namespace lrbs::net
