// Adam (Kingma & Ba) with Keras defaults beta1 0.9, beta2 0.999, epsilon 1e-7.
//   m += (g - m)(1 - b1);  v += (g^2 - v)(1 - b2)
//   Keras placement (keras 3, tf.keras >= 2.11): alpha = lr sqrt(1 - b2^t)/(1 - b1^t);
//                                                w -= alpha m / (sqrt(v) + eps)
//   bias-corrected (PyTorch, TF.js):             w -= lr (m/(1 - b1^t)) / (sqrt(v/(1 - b2^t)) + eps)
// State per parameter: m, v, and one workspace for the denominator. Registered as adam, and
// as adamw with weight decay (below).
#include <cmath>
#include "optimizer.h"
#include "update_kernels.h"

namespace lrbs::net {
namespace {
class Adam final : public Optimizer {
 public:
  Adam(Settings& s, bool decoupled) : b1_(s.number("beta1")), b2_(s.number("beta2")), eps_(s.number("epsilon")), bias_corrected_(s.flag("bias_corrected")) {
    if (decoupled) read_weight_decay(s);
  }

  int state_count() const override { return 3; }

 protected:
  void update(const Param& p, std::vector<at::Tensor>& state, const Rates& lr, int64_t K, int64_t t, bool fused) override {
    auto& m = state[0];
    auto& v = state[1];
    auto& d = state[2];
    const auto& g = p.grad;
    const double bc1 = 1.0 - std::pow(b1_, static_cast<double>(t));
    const double bc2 = 1.0 - std::pow(b2_, static_cast<double>(t));
    // w -= scale * lr * m / d, with d = sqrt(v) [/ sqrt(bc2)] + eps
    const double scale = bias_corrected_ ? 1.0 / bc1 : std::sqrt(bc2) / bc1;
    if (fused) return update_fused(p, m, v, lr, K, scale, 1.0 / std::sqrt(bc2));
    m.lerp_(g, 1.0 - b1_);
    at::mul_out(d, g, g);
    v.lerp_(d, 1.0 - b2_);
    at::sqrt_out(d, v);
    if (bias_corrected_) d.mul_(1.0 / std::sqrt(bc2));
    d.add_(eps_);
    if (lr.uniform()) {
      p.value.addcdiv_(m, d, -lr.values[0] * scale);
    } else {
      at::div_out(d, m, d);
      p.by_member(p.value, K).addcmul_(lr.vector(p, K, scale), p.by_member(d, K), -1.0);
    }
  }

 private:
  // The same formulas, in the same order, in one pass over the elements (update_kernels.cpp).
  void update_fused(const Param& p, at::Tensor& m, at::Tensor& v, const Rates& lr, int64_t K, double scale, double inv_sqrt_bc2) {
    const auto step = lr.steps(scale);
    kernels::adam(p.value.data_ptr<float>(), p.grad.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), p.value.numel(), member_run(p, K), K,
                  step.data(), static_cast<float>(1.0 - b1_), static_cast<float>(1.0 - b2_), static_cast<float>(eps_),
                  bias_corrected_ ? static_cast<float>(inv_sqrt_bc2) : 1.0f);
  }

  double b1_, b2_, eps_;
  bool bias_corrected_;
};
}  // namespace

LRBS_REGISTER(optimizers, "adam", [](Settings& s) -> std::unique_ptr<Optimizer> { return std::make_unique<Adam>(s, false); });
// AdamW (Loshchilov & Hutter; Keras 3 keras.optimizers.AdamW): Adam with the decoupled weight
// decay of Optimizer::read_weight_decay, w -= lr wd w before Adam's update.
LRBS_REGISTER(optimizers, "adamw", [](Settings& s) -> std::unique_ptr<Optimizer> { return std::make_unique<Adam>(s, true); });
}  // namespace lrbs::net
