// BatchNormalization(momentum, epsilon), as Keras (axis -1: per channel of an image, per
// feature of a vector; defaults momentum 0.99, epsilon 1e-3, gamma 1, beta 0, moving mean 0,
// moving variance 1, set by the host):
//   training:   mu, var = mean and biased variance over the batch (and pixels)
//               xhat = (x - mu) / sqrt(var + eps);  y = gamma xhat + beta
//               moving_mean = moving_mean momentum + mu (1 - momentum), likewise the variance
//   evaluation: y = gamma (x - moving_mean) / sqrt(moving_variance + eps) + beta
//   backward (training): dbeta = sum dy;  dgamma = sum dy xhat
//               dx = gamma / sqrt(var + eps) (dy - mean(dy) - xhat mean(dy xhat))
// The moving statistics are state (buffers): never updated by the optimizer, kept per member.
// K members: per-member images (N, K*C, H, W) carry K*C channels; vectors (K, N, F) normalise
// over N. A shared input is first given to every member (BatchNormalization has weights).
#include "layer.h"

namespace lrbs::net {
namespace {
class BatchNorm final : public Layer {
 public:
  explicit BatchNorm(LayerArgs& a)
      : momentum_(a.settings.number("momentum")), eps_(a.settings.number("epsilon")), K_(a.members), c_(a.in_channels), image_(a.image()) {
    for (Param* p : {&gamma_, &beta_, &mean_, &var_}) {
      p->kind = image_ ? ParamKind::ConvBias : ParamKind::DenseBias;
      p->value = image_ ? at::zeros({K_ * c_}) : at::zeros({K_, c_});
    }
    gamma_.grad = at::zeros_like(gamma_.value);
    beta_.grad = at::zeros_like(beta_.value);
    mean_.grad = at::zeros_like(mean_.value);  // never written: state has no gradient
    var_.grad = at::zeros_like(var_.value);
  }

  std::vector<Param*> params() override { return {&gamma_, &beta_}; }
  std::vector<Param*> buffers() override { return {&mean_, &var_}; }

  Act forward(const Act& x, const Context& ctx) override {
    at::Tensor t = x.t;
    if (x.shared) t = image_ ? t.repeat({1, K_, 1, 1}) : t.unsqueeze(0).expand({K_, -1, -1}).contiguous();
    const auto dims = reduced();
    if (!ctx.training)
      return {t.sub(shaped(mean_.value)).mul_(shaped(var_.value.add(eps_).rsqrt())).mul_(shaped(gamma_.value)).add_(shaped(beta_.value)), false};
    const auto mu = t.mean(dims, true);
    const auto centred = t - mu;
    const auto var = centred.square().mean(dims, true);
    invstd_ = var.add(eps_).rsqrt();
    xhat_ = centred * invstd_;
    if (ctx.update_state) {
      mean_.value.mul_(momentum_).add_(flat(mu), 1.0 - momentum_);
      var_.value.mul_(momentum_).add_(flat(var), 1.0 - momentum_);
    }
    return {xhat_ * shaped(gamma_.value) + shaped(beta_.value), false};
  }

  at::Tensor backward(const at::Tensor& dy, bool, bool need_dx) override {
    const auto dims = reduced();
    const auto dyx = dy * xhat_;
    beta_.grad.copy_(flat(dy.sum(dims, true)));
    gamma_.grad.copy_(flat(dyx.sum(dims, true)));
    if (!need_dx) return {};
    return (dy - dy.mean(dims, true) - xhat_ * dyx.mean(dims, true)).mul_(invstd_ * shaped(gamma_.value));
  }

  void keep_members(const at::Tensor& idx, int64_t K) override {
    for (Param* p : {&gamma_, &beta_, &mean_, &var_}) {
      p->value = p->select_members(p->value, idx, K);
      p->grad = p->select_members(p->grad, idx, K);
    }
    K_ = idx.numel();
  }

 private:
  // The axes statistics are taken over: batch and pixels of (N, K*C, H, W); the batch of (K, N, F).
  std::vector<int64_t> reduced() const { return image_ ? std::vector<int64_t>{0, 2, 3} : std::vector<int64_t>{1}; }
  // A per-channel vector (K*C) or (K, F) shaped to broadcast against the activations.
  at::Tensor shaped(const at::Tensor& v) const { return image_ ? v.view({1, -1, 1, 1}) : v.view({K_, 1, -1}); }
  // Statistics of shape (1, K*C, 1, 1) or (K, 1, F) back to the parameters' layout.
  at::Tensor flat(const at::Tensor& s) const { return image_ ? s.view({-1}) : s.view({K_, -1}); }

  double momentum_, eps_;
  int64_t K_, c_;
  bool image_;
  Param gamma_, beta_, mean_, var_;
  at::Tensor xhat_, invstd_;
};
}  // namespace

LRBS_REGISTER(layers, "batch_norm", [](LayerArgs& a) -> std::unique_ptr<Layer> { return std::make_unique<BatchNorm>(a); });
}  // namespace lrbs::net
