// Flatten in Keras's channels-last order: an image (C, H, W) becomes the vector of its
// (H, W, C) values, so a Dense kernel after it matches Keras's row for row.
//   per member: (N, K*C, H, W) -> (K, N, H*W*C);  backward: the inverse permutation
#include "layer.h"

namespace lrbs::net {
namespace {
class Flatten final : public Layer {
 public:
  explicit Flatten(const LayerArgs& a) : c_(a.in_channels), h_(a.in_height), w_(a.in_width) {}

  Act forward(const Act& x, const Context& ctx) override {
    if (h_ == 0) return x;  // already flat
    const int64_t n = x.t.size(0);
    if (x.shared) return {c_ == 1 ? x.t.reshape({n, h_ * w_}) : x.t.permute({0, 2, 3, 1}).reshape({n, -1}), true};
    const int64_t K = x.t.size(1) / c_;
    return {x.t.view({n, K, c_, h_, w_}).permute({1, 0, 3, 4, 2}).reshape({K, n, h_ * w_ * c_}), false};
  }

  at::Tensor backward(const at::Tensor& dy, bool, bool need_dx) override {
    if (!need_dx || h_ == 0) return need_dx ? dy : at::Tensor();
    const int64_t K = dy.size(0), n = dy.size(1);
    return dy.reshape({K, n, h_, w_, c_}).permute({1, 0, 4, 2, 3}).reshape({n, K * c_, h_, w_});
  }

 private:
  int64_t c_, h_, w_;
};
}  // namespace

LRBS_REGISTER(layers, "flatten", [](LayerArgs& a) -> std::unique_ptr<Layer> { return std::make_unique<Flatten>(a); });
}  // namespace lrbs::net
