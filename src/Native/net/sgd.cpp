// Stochastic gradient descent, with optional (Nesterov) momentum mu in the Keras or the
// PyTorch form. Keras defaults: momentum 0, nesterov false. The two forms agree while
// the learning rate is constant and part once it changes.
//   no momentum:  w -= lr g
//   Keras:        v = mu v - lr g;  w += v            (Nesterov: w += mu v - lr g)
//   PyTorch:      b = mu b + g;     w -= lr b         (Nesterov: w -= lr (g + mu b))
#include "optimizer.h"
#include "update_kernels.h"

namespace lrbs::net {
namespace {
class Sgd final : public Optimizer {
 public:
  explicit Sgd(Settings& s) : mu_(s.number("momentum")), nesterov_(s.flag("nesterov")), pytorch_(s.flag("pytorch_form")) { read_weight_decay(s); }

  int state_count() const override { return mu_ == 0.0 ? 0 : 1; }

 protected:
  void update(const Param& p, std::vector<at::Tensor>& state, const Rates& lr, int64_t K, int64_t, bool fused) override {
    if (fused) return update_fused(p, state, lr, K);
    const auto& w = p.value;
    const auto& g = p.grad;
    // x -= scale * lr * y, with one lr per member
    auto minus_lr = [&](const at::Tensor& x, const at::Tensor& y, double scale) {
      if (lr.uniform())
        x.add_(y, -scale * lr.values[0]);
      else
        p.by_member(x, K).addcmul_(lr.vector(p, K, scale), p.by_member(y, K), -1.0);
    };
    if (mu_ == 0.0) return minus_lr(w, g, 1.0);
    auto& buf = state[0];
    buf.mul_(mu_);
    if (!pytorch_) {
      minus_lr(buf, g, 1.0);  // v = mu v - lr g
      if (nesterov_) {
        w.add_(buf, mu_);
        minus_lr(w, g, 1.0);
      } else {
        w.add_(buf);
      }
    } else {
      buf.add_(g);  // b = mu b + g
      if (nesterov_) {
        minus_lr(w, g, 1.0);
        minus_lr(w, buf, mu_);
      } else {
        minus_lr(w, buf, 1.0);
      }
    }
  }

 private:
  // The same formulas in one pass over the elements (update_kernels.cpp); state[0] is the
  // momentum buffer, present only with momentum.
  void update_fused(const Param& p, std::vector<at::Tensor>& state, const Rates& lr, int64_t K) {
    float* w = p.value.data_ptr<float>();
    const float* g = p.grad.data_ptr<float>();
    const int64_t n = p.value.numel(), run = member_run(p, K);
    const auto step = lr.steps(1.0);
    if (mu_ == 0.0) return kernels::sgd(w, g, n, run, K, step.data());
    const float mu = static_cast<float>(mu_);
    float* buffer = state[0].data_ptr<float>();
    if (pytorch_)
      kernels::momentum_pytorch(w, g, buffer, n, run, K, step.data(), mu, nesterov_);
    else
      kernels::momentum_keras(w, g, buffer, n, run, K, step.data(), mu, nesterov_);
  }

  double mu_;
  bool nesterov_, pytorch_;
};
}  // namespace

LRBS_REGISTER(optimizers, "sgd", [](Settings& s) -> std::unique_ptr<Optimizer> { return std::make_unique<Sgd>(s); });
}  // namespace lrbs::net
