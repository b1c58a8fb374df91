// Dense(units, activation), as Keras: z = x W + b, a = act(z), W of shape (in, units).
//   backward: dz = act'(z) * dy;  dW = x^T dz;  db = sum over rows of dz;  dx = dz W^T
// K members: a shared input meets all members' kernels in one wide matrix product
// x (N, in) @ W (in, K*units); per-member inputs use batched products. One member on contiguous
// float32 rows takes the direct kernels (dense_direct.h) unless direct_dense is off.
#include "dense_direct.h"
#include "layer.h"

namespace lrbs::net {
bool direct_dense = true;
std::atomic<int64_t> direct_dense_passes{0};

namespace {
class Dense final : public WeightedLayer {
 public:
  explicit Dense(LayerArgs& a) : WeightedLayer(a), in_(a.in_channels), out_(a.settings.integer("units")), shared_(a.shared) {
    const int64_t K = a.members;
    const bool shared = a.shared;
    if (a.image()) a.settings.fail("needs a flat input: add Flatten before it");
    if (out_ < 1) a.settings.fail("units must be >= 1, got " + std::to_string(out_));
    w_.kind = shared ? ParamKind::DenseKernelWide : ParamKind::DenseKernel;
    w_.value = shared ? at::zeros({in_, K, out_}) : at::zeros({K, in_, out_});
    w_.grad = at::zeros_like(w_.value);
    b_.kind = ParamKind::DenseBias;
    b_.value = at::zeros({K, out_});
    b_.grad = at::zeros_like(b_.value);
  }

  Act forward(const Act& x, const Context&) override {
    x_ = x.t;
    direct_ = direct_dense && K_ == 1 && x_.scalar_type() == at::kFloat && x_.is_contiguous() && x_.dim() == (shared_ ? 2 : 3) && w_.value.is_contiguous() &&
              w_.grad.is_contiguous();
    if (direct_) return forward_direct();
    if (shared_) {  // x (N, in): one (N, K*out) product, seen as (K, N, out)
      const int64_t n = x_.size(0);
      z_ = at::addmm(b_.value.view({K_ * out_}), x_, w_.value.view({in_, K_ * out_})).view({n, K_, out_}).transpose(0, 1);
    } else if (K_ == 1) {
      z_ = at::addmm(b_.value.select(0, 0), x_.select(0, 0), w_.value.select(0, 0)).unsqueeze(0);
    } else {
      z_ = at::baddbmm(b_.value.unsqueeze(1), x_, w_.value);
    }
    a_ = activate(z_);
    return {a_, false};
  }

  int64_t outputs() const override { return out_; }

  at::Tensor backward(const at::Tensor& dy, bool preactivation, bool need_dx) override {
    if (shared_ && need_dx) throw std::logic_error("a shared input has no gradient");
    if (direct_) return backward_direct(dy, preactivation, need_dx);
    const auto dz = preactivation ? dy : activation_backward(dy);  // (K, N, out)
    at::sum_out(b_.grad, dz, {1});
    if (shared_) {
      auto gw = w_.grad.view({in_, K_ * out_});
      at::mm_out(gw, x_.t(), dz.transpose(0, 1).reshape({x_.size(0), K_ * out_}));
      return {};
    }
    if (K_ == 1) {
      const auto d = dz.select(0, 0);
      auto gw = w_.grad.select(0, 0);
      at::mm_out(gw, x_.select(0, 0).t(), d);
      return need_dx ? at::mm(d, w_.value.select(0, 0).t()).unsqueeze(0) : at::Tensor();
    }
    at::bmm_out(w_.grad, x_.transpose(1, 2), dz);
    return need_dx ? at::bmm(dz, w_.value.transpose(1, 2)) : at::Tensor();
  }

 private:
  int64_t rows() const { return x_.size(shared_ ? 0 : 1); }

  Act forward_direct() {
    // ATen's products check their shapes; raw pointers do not
    if (x_.size(-1) != in_) throw std::invalid_argument("dense: input has " + std::to_string(x_.size(-1)) + " features, expected " + std::to_string(in_));
    direct_dense_passes.fetch_add(1, std::memory_order_relaxed);
    const int64_t n = rows();
    z_ = at::empty({1, n, out_});
    dense_direct::affine(x_.data_ptr<float>(), w_.value.data_ptr<float>(), b_.value.data_ptr<float>(), n, in_, out_, z_.data_ptr<float>());
    if (relu_) {
      a_ = at::empty_like(z_);
      dense_direct::relu(z_.data_ptr<float>(), z_.numel(), a_.data_ptr<float>());
    } else {
      a_ = activate(z_);
    }
    return {a_, false};
  }

  at::Tensor backward_direct(const at::Tensor& dy, bool preactivation, bool need_dx) {
    const int64_t n = rows();
    if (dy.numel() != z_.numel())
      throw std::invalid_argument("dense: the output gradient has " + std::to_string(dy.numel()) + " values, expected " + std::to_string(z_.numel()));
    at::Tensor dz;
    if (preactivation) {
      dz = dy.contiguous();
    } else if (relu_) {
      const auto g = dy.contiguous();
      dz = at::empty_like(z_);
      dense_direct::relu_backward(g.data_ptr<float>(), z_.data_ptr<float>(), z_.numel(), dz.data_ptr<float>());
    } else {
      dz = activation_backward(dy).contiguous();
    }
    at::sum_out(b_.grad, dz, {1});  // ATen's reduction, whose order the bias gradient keeps
    dense_direct::kernel_grad(x_.data_ptr<float>(), dz.data_ptr<float>(), n, in_, out_, w_.grad.data_ptr<float>());
    if (!need_dx) return {};
    auto dx = at::empty({1, n, in_});
    dense_direct::input_grad(dz.data_ptr<float>(), w_.value.data_ptr<float>(), n, in_, out_, dx.data_ptr<float>());
    return dx;
  }

  int64_t in_, out_;
  bool shared_;
  const bool relu_ = act_.name == "relu";
  bool direct_ = false;  // the last forward took the direct kernels (then so does its backward)
  at::Tensor x_;
};
}  // namespace

LRBS_REGISTER(layers, "dense", [](LayerArgs& a) -> std::unique_ptr<Layer> { return std::make_unique<Dense>(a); });
}  // namespace lrbs::net
