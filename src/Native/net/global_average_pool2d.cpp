// GlobalAveragePooling2D, as Keras: an image (H, W, C) becomes the vector of its C channel means.
//   shared (N, C, H, W) -> (N, C);  per member (N, K*C, H, W) -> (K, N, C)
//   backward: every pixel of channel c gets dy_c / (H W)
#include "layer.h"

namespace lrbs::net {
namespace {
class GlobalAveragePool2D final : public Layer {
 public:
  explicit GlobalAveragePool2D(const LayerArgs& a) : c_(a.in_channels), h_(a.in_height), w_(a.in_width) {
    if (!a.image()) a.settings.fail("needs an image input");
  }

  Act forward(const Act& x, const Context&) override {
    const auto m = x.t.mean({2, 3});  // (N, K*C) or (N, C)
    if (x.shared) return {m, true};
    const int64_t n = m.size(0), K = m.size(1) / c_;
    return {m.view({n, K, c_}).transpose(0, 1).contiguous(), false};
  }

  at::Tensor backward(const at::Tensor& dy, bool, bool need_dx) override {
    if (!need_dx) return {};
    const int64_t K = dy.size(0), n = dy.size(1);
    const auto d = dy.transpose(0, 1).reshape({n, K * c_, 1, 1}) / static_cast<double>(h_ * w_);
    return d.expand({n, K * c_, h_, w_}).contiguous();
  }

 private:
  int64_t c_, h_, w_;
};
}  // namespace

LRBS_REGISTER(layers, "global_average_pool2d", [](LayerArgs& a) -> std::unique_ptr<Layer> { return std::make_unique<GlobalAveragePool2D>(a); });
}  // namespace lrbs::net
