// AveragePooling2D(pool p), as Keras: windows p x p, strides p, valid padding (a remainder row
// or column is dropped); each output is the mean of its window.
//   backward: each input of a window gets dy / p^2
// Per-member images (N, K*C, H, W) pool channel by channel like a shared input.
#include "layer.h"

namespace lrbs::net {
namespace {
class AveragePool2D final : public Layer {
 public:
  explicit AveragePool2D(LayerArgs& a) : pool_(a.settings.integer("pool")) {
    if (!a.image()) a.settings.fail("needs an image input");
    if (pool_ < 1) a.settings.fail("pool must be >= 1, got " + std::to_string(pool_));
  }

  Act forward(const Act& x, const Context&) override {
    x_ = x.t;
    return {at::avg_pool2d(x.t, {pool_, pool_}, {pool_, pool_}), x.shared};
  }

  at::Tensor backward(const at::Tensor& dy, bool, bool need_dx) override {
    if (!need_dx) return {};
    return at::avg_pool2d_backward(dy.contiguous(), x_, {pool_, pool_}, {pool_, pool_}, {0, 0}, false, true, c10::nullopt);
  }

 private:
  int64_t pool_;
  at::Tensor x_;
};
}  // namespace

LRBS_REGISTER(layers, "average_pool2d", [](LayerArgs& a) -> std::unique_ptr<Layer> { return std::make_unique<AveragePool2D>(a); });
}  // namespace lrbs::net
