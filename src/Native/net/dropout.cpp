// Dropout(rate), as Keras: while training, each value is kept with probability 1 - rate
// and scaled by 1/(1 - rate); otherwise the identity. Each member draws its masks from
// its own generator, so a member of a pack sees the masks it would see alone.
//   backward: dx = dy * mask
#include "layer.h"

namespace lrbs::net {
namespace {
class Dropout final : public Layer {
 public:
  explicit Dropout(LayerArgs& a) : rate_(a.settings.number("rate")), c_(a.in_channels), image_(a.image()) {}

  Act forward(const Act& x, const Context& ctx) override {
    mask_ = at::Tensor();
    const int64_t K = ctx.members;
    at::Tensor t = x.t;  // a shared input becomes per member: each member gets its own masks
    if (x.shared) t = image_ ? t.repeat({1, K, 1, 1}) : t.unsqueeze(0).expand({K, -1, -1}).contiguous();
    if (!ctx.training || rate_ == 0.0) return {t, false};
    mask_ = at::empty_like(t);
    for (int64_t k = 0; k < K; ++k) {
      auto slot = image_ ? mask_.narrow(1, k * c_, c_) : mask_.select(0, k);
      auto draw = at::empty(slot.sizes(), slot.options());
      draw.bernoulli_(1.0 - rate_, (*ctx.generators)[k]);
      slot.copy_(draw);
    }
    mask_.div_(1.0 - rate_);
    return {t * mask_, false};
  }

  at::Tensor backward(const at::Tensor& dy, bool, bool need_dx) override {
    if (!need_dx) return {};
    return mask_.defined() ? dy * mask_ : dy;
  }

  bool separates_members() override { return true; }

 private:
  double rate_;
  int64_t c_;
  bool image_;
  at::Tensor mask_;
};
}  // namespace

LRBS_REGISTER(layers, "dropout", [](LayerArgs& a) -> std::unique_ptr<Layer> { return std::make_unique<Dropout>(a); });
}  // namespace lrbs::net
