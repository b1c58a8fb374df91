// Conv2D(filters, kernel k x k, stride s, Keras padding, activation): z = conv(x, W) + b,
// a = act(z). Keras's "same" padding may put the odd pixel at the bottom/right: then the
// input is padded explicitly. K members: one wide convolution of K*F filters over a
// shared input, or a grouped convolution (K groups) over per-member channels.
//   backward: (dx, dW, db) = convolution_backward(dz, x, W), dz = act'(z) * dy
// Kernels: ATen's dispatch picks MKLDNN, which is 20-40% faster for the studies' wide CNNs
// but 1.7x slower for S7's 4-filter layers (measured: a box-CNN epoch at batch 16, 1.96 s
// against 1.15 s). Layers of at most 8 filters and 8 channels per member run the direct
// convolution of narrow_conv.h (its padding the same on both axes); other layers of at most 8
// filters call ATen's im2col kernels directly (as all did before the direct kernel, and as
// direct_conv = false still does, for tests and the bench that compare the two).
#include "layer.h"
#include "narrow_conv.h"

namespace lrbs::net {
namespace {
class Conv2D final : public WeightedLayer {
 public:
  explicit Conv2D(LayerArgs& a)
      : WeightedLayer(a),
        filters_(a.settings.integer("filters")),
        channels_(a.in_channels),
        kernel_(a.settings.integer("kernel")),
        stride_(a.settings.integer("stride")),
        shared_(a.shared),
        top_(a.settings.integer("pad_top")),
        bottom_(a.settings.integer("pad_bottom")),
        left_(a.settings.integer("pad_left")),
        right_(a.settings.integer("pad_right")) {
    const int64_t K = a.members;
    if (!a.image()) a.settings.fail("needs an image input");
    if (filters_ < 1 || kernel_ < 1 || stride_ < 1) a.settings.fail("filters, kernel and stride must be >= 1");
    w_.kind = ParamKind::ConvKernel;
    w_.value = at::zeros({K * filters_, channels_, kernel_, kernel_});
    w_.grad = at::zeros_like(w_.value);
    b_.kind = ParamKind::ConvBias;
    b_.value = at::zeros({K * filters_});
    b_.grad = at::zeros_like(b_.value);
  }

  Act forward(const Act& x, const Context&) override {
    const bool symmetric = top_ == bottom_ && left_ == right_;
    xp_ = symmetric ? x.t : at::constant_pad_nd(x.t, {left_, right_, top_, bottom_}, 0.0);
    if (filters_ > kNarrow) {
      z_ = at::conv2d(xp_, w_.value, b_.value, {stride_, stride_}, padding(), {1, 1}, groups());
    } else if (direct()) {
      std::vector<at::Tensor> parts;
      for (int64_t g = 0; g < groups(); ++g) parts.push_back(narrow::forward(group_input(xp_, g), group_weight(g), group_bias(g), stride_, padding()[0]));
      z_ = parts.size() == 1 ? parts[0] : at::cat(parts, 1);
    } else {
      std::vector<at::Tensor> parts;
      for (int64_t g = 0; g < groups(); ++g)
        parts.push_back(at::_slow_conv2d_forward(group_input(xp_, g), group_weight(g), {kernel_, kernel_}, group_bias(g), {stride_, stride_}, padding()));
      z_ = parts.size() == 1 ? parts[0] : at::cat(parts, 1);
    }
    a_ = activate(z_);
    return {a_, false};
  }

  at::Tensor backward(const at::Tensor& dy, bool preactivation, bool need_dx) override {
    const auto dz = preactivation ? dy : activation_backward(dy);
    at::Tensor dx;
    if (filters_ > kNarrow) {
      auto [gx, gw, gb] = at::convolution_backward(dz, xp_, w_.value, at::IntArrayRef{K_ * filters_}, {stride_, stride_}, padding(), {1, 1}, false, {0, 0},
                                                   groups(), {need_dx, true, true});
      dx = gx;
      w_.grad = gw;
      b_.grad = gb;
    } else {
      std::vector<at::Tensor> dxs, dws, dbs;
      for (int64_t g = 0; g < groups(); ++g) {
        auto [gx, gw, gb] = direct() ? narrow::backward(dz.narrow(1, g * filters_, groups() == 1 ? K_ * filters_ : filters_), group_input(xp_, g),
                                                        group_weight(g), stride_, padding()[0], need_dx)
                                     : at::_slow_conv2d_backward(dz.narrow(1, g * filters_, groups() == 1 ? K_ * filters_ : filters_), group_input(xp_, g),
                                                                 group_weight(g), {kernel_, kernel_}, {stride_, stride_}, padding(), {need_dx, true, true});
        dxs.push_back(gx);
        dws.push_back(gw);
        dbs.push_back(gb);
      }
      auto join = [](std::vector<at::Tensor>& v, int64_t dim) { return v.size() == 1 ? v[0] : at::cat(v, dim); };
      if (need_dx) dx = join(dxs, 1);
      w_.grad = join(dws, 0);
      b_.grad = join(dbs, 0);
    }
    if (!need_dx) return {};
    if (top_ == bottom_ && left_ == right_) return dx;
    return dx.narrow(2, top_, dx.size(2) - top_ - bottom_).narrow(3, left_, dx.size(3) - left_ - right_);
  }

 private:
  std::vector<int64_t> padding() const {
    if (top_ == bottom_ && left_ == right_) return {top_, left_};
    return {0, 0};  // already padded explicitly
  }
  int64_t groups() const { return shared_ ? 1 : K_; }
  // One group's slice: every member's filters over a shared input, or member g's own channels and filters.
  at::Tensor group_input(const at::Tensor& x, int64_t g) const { return groups() == 1 ? x : x.narrow(1, g * channels_, channels_); }
  at::Tensor group_weight(int64_t g) const { return groups() == 1 ? w_.value : w_.value.narrow(0, g * filters_, filters_); }
  at::Tensor group_bias(int64_t g) const { return groups() == 1 ? b_.value : b_.value.narrow(0, g * filters_, filters_); }

  static constexpr int64_t kNarrow = 8;
  // The direct kernel: few channels, and one padding for both axes.
  bool direct() const { return direct_conv && channels_ <= kNarrow && padding()[0] == padding()[1]; }

  int64_t filters_, channels_, kernel_, stride_;
  bool shared_;
  int64_t top_, bottom_, left_, right_;
  at::Tensor xp_;
};
}  // namespace

LRBS_REGISTER(layers, "conv2d", [](LayerArgs& a) -> std::unique_ptr<Layer> { return std::make_unique<Conv2D>(a); });
}  // namespace lrbs::net
