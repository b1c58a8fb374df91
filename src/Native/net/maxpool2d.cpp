// MaxPool2D(pool p), as Keras: windows p x p, strides p, no padding; each output is the
// largest input of its window. backward: the gradient goes to the position of that maximum.
#include "layer.h"

namespace lrbs::net {
namespace {
class MaxPool2D final : public Layer {
 public:
  explicit MaxPool2D(const lrbs_layer& s) : pool_(s.kernel) {
    if (s.in_height <= 0 || s.in_width <= 0) throw std::invalid_argument("MaxPool2D needs an image input");
  }

  Act forward(const Act& x, const Context& ctx) override {
    if (!ctx.training) return {at::max_pool2d(x.t, {pool_, pool_}, {pool_, pool_}), x.shared};
    x_ = x.t;
    auto [out, indices] = at::max_pool2d_with_indices(x_, {pool_, pool_}, {pool_, pool_}, {0, 0}, {1, 1}, false);
    indices_ = indices;
    return {out, x.shared};
  }

  at::Tensor backward(const at::Tensor& dy, bool, bool need_dx) override {
    if (!need_dx) return {};
    return at::max_pool2d_with_indices_backward(dy, x_, {pool_, pool_}, {pool_, pool_}, {0, 0}, {1, 1}, false, indices_);
  }

 private:
  int64_t pool_;
  at::Tensor x_, indices_;
};
}  // namespace

std::unique_ptr<Layer> make_maxpool2d(const lrbs_layer& s) { return std::make_unique<MaxPool2D>(s); }
}  // namespace lrbs::net
