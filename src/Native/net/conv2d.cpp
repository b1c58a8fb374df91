// Conv2D(filters, kernel k x k, stride s, Keras padding, activation): z = conv(x, W) + b,
// a = act(z). Keras's "same" padding may put the odd pixel at the bottom/right: then the
// input is padded explicitly. K members: one wide convolution of K*F filters over a
// shared input, or a grouped convolution (K groups) over per-member channels.
//   backward: (dx, dW, db) = convolution_backward(dz, x, W), dz = act'(z) * dy
#include "layer.h"

namespace lrbs::net {
namespace {
class Conv2D final : public Layer {
 public:
  Conv2D(const lrbs_layer& s, int64_t K, bool shared)
      : act_(s.activation), K_(K), filters_(s.units), stride_(s.stride), shared_(shared),
        top_(s.pad_top), bottom_(s.pad_bottom), left_(s.pad_left), right_(s.pad_right) {
    if (s.in_height <= 0 || s.in_width <= 0) throw std::invalid_argument("Conv2D needs an image input");
    w_.kind = ParamKind::ConvKernel;
    w_.value = at::zeros({K * filters_, s.in_channels, s.kernel, s.kernel});
    w_.grad = at::zeros_like(w_.value);
    b_.kind = ParamKind::ConvBias;
    b_.value = at::zeros({K * filters_});
    b_.grad = at::zeros_like(b_.value);
  }

  Act forward(const Act& x, const Context&) override {
    const bool symmetric = top_ == bottom_ && left_ == right_;
    xp_ = symmetric ? x.t : at::constant_pad_nd(x.t, {left_, right_, top_, bottom_}, 0.0);
    z_ = at::conv2d(xp_, w_.value, b_.value, {stride_, stride_}, padding(), {1, 1}, groups());
    a_ = activate(act_, z_);
    return {a_, false};
  }

  at::Tensor backward(const at::Tensor& dy, bool preactivation, bool need_dx) override {
    const auto dz = preactivation ? dy : activation_backward(act_, dy, z_, a_);
    auto [dx, dw, db] = at::convolution_backward(dz, xp_, w_.value, at::IntArrayRef{K_ * filters_}, {stride_, stride_},
                                                 padding(), {1, 1}, false, {0, 0}, groups(), {need_dx, true, true});
    w_.grad = dw;
    b_.grad = db;
    if (!need_dx) return {};
    if (top_ == bottom_ && left_ == right_) return dx;
    return dx.narrow(2, top_, dx.size(2) - top_ - bottom_).narrow(3, left_, dx.size(3) - left_ - right_);
  }

  std::vector<Param*> params() override { return {&w_, &b_}; }
  at::Tensor z() const override { return z_; }
  at::Tensor a() const override { return a_; }

  void keep_members(const at::Tensor& idx, int64_t K) override {
    for (Param* p : {&w_, &b_}) {
      p->value = p->select_members(p->value, idx, K);
      p->grad = p->select_members(p->grad, idx, K);
    }
    K_ = idx.numel();
  }

 private:
  std::vector<int64_t> padding() const {
    if (top_ == bottom_ && left_ == right_) return {top_, left_};
    return {0, 0};  // already padded explicitly
  }
  int64_t groups() const { return shared_ ? 1 : K_; }

  int act_;
  int64_t K_, filters_, stride_;
  bool shared_;
  int64_t top_, bottom_, left_, right_;
  Param w_, b_;
  at::Tensor xp_, z_, a_;
};
}  // namespace

std::unique_ptr<Layer> make_conv2d(const lrbs_layer& s, int64_t K, bool shared) { return std::make_unique<Conv2D>(s, K, shared); }
}  // namespace lrbs::net
