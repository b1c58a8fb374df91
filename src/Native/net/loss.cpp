// The losses of lrbs, each the mean over the batch of a per-example loss, with the
// gradient of that mean w.r.t. the last layer's pre-activation z (a = act(z)).
//
// categorical cross-entropy, logits form (tf.keras and Keras 3 on TensorFlow: softmax
//   caches its logits, `_keras_logits`, and the loss uses them; no clipping):
//     l = -log_softmax(z)[y];                       dz = (softmax(z) - onehot(y)) / N
// categorical cross-entropy, clipped form (TensorFlow.js, and Keras without logits):
//     q = a / sum(a);  l = -log(clip(q[y], 1e-7, 1 - 1e-7))
// binary cross-entropy, logits form (sigmoid caches its logits likewise):
//     l = mean_j max(z,0) - z y + log(1 + exp(-|z|));  dz = (sigmoid(z) - y) / (N L)
// binary cross-entropy, clipped form (TensorFlow.js, Keras 3 without logits):
//     p = clip(a, 1e-7, 1 - 1e-7);  l = -mean_j (y log p + (1 - y) log(1 - p))
// 1 - IoU of boxes (x1, y1, x2, y2), form `exact`: negative widths counted as 0, IoU = I / (U + 1e-7).
// 1 - IoU, form `keras-plus-one` (the IoU loss widely copied for Keras box regression, which S7's
//   study used): every width and height gets + 1 (a pixel convention) even on [0, 1] coordinates,
//   the overlap is not clamped, and the IoU is clipped (K.clip, K.epsilon() = 1e-7):
//     I = (min(px2,tx2) - max(px1,tx1) + 1) (min(py2,ty2) - max(py1,ty1) + 1)
//     A = |x2 - x1 + 1| |y2 - y1 + 1| (each box);  l = 1 - clip(I / (A_t + A_p - I), 1e-7, 1 - 1e-7)
//   Both forms report the exact IoU as their metric.
// mean squared error (Keras's mean_squared_error): l = mean_j (a - y)^2;  dz = 2 (a - y) / (N L)
//   (linear outputs; its metric is the example count's share with every |a - y| <= 0.5)
// Clipping passes the gradient on its bounds (as libtorch's clamp does).
#include "loss.h"
#include <string>
#include "../lrbs_native.h"

namespace lrbs::net {
namespace {
constexpr double kEps = 1e-7;

at::Tensor per_member(const at::Tensor& y, int64_t K, int64_t dims) { return y.dim() == dims ? y.unsqueeze(0).expand({K, -1}) : y; }

at::Tensor per_member_rows(const at::Tensor& y, int64_t K) { return y.dim() == 2 ? y.unsqueeze(0).expand({K, -1, -1}) : y; }

at::Tensor inside(const at::Tensor& p) { return (p >= kEps).logical_and_(p <= 1.0 - kEps); }

LossOutput categorical(bool logits, const at::Tensor& z, const at::Tensor& a, const at::Tensor& labels, bool gradient) {
  const int64_t K = z.size(0), n = z.size(1);
  const auto y = per_member(labels, K, 1).unsqueeze(-1);  // (K, N, 1)
  LossOutput out;
  out.metric = z.argmax(-1).eq(y.squeeze(-1)).sum(1);
  if (logits) {
    const auto logp = at::log_softmax(z, -1);
    out.loss = logp.gather(-1, y).neg_().mean(at::IntArrayRef{1, 2});
    if (gradient) {
      out.dz = logp.exp();
      out.dz.scatter_add_(-1, y, at::full({K, n, 1}, -1.0, z.options()));
      out.dz.div_(static_cast<double>(n));
    }
    return out;
  }
  const auto s = a.sum(-1, true);
  const auto q = a / s;
  const auto qy = q.gather(-1, y);  // (K, N, 1)
  const auto qc = qy.clamp(kEps, 1.0 - kEps);
  out.loss = qc.log().neg_().mean(at::IntArrayRef{1, 2});
  if (gradient) {
    // dl/dq is -1/(N qc) at the true class (inside the clip), 0 elsewhere; then q = a/s, a = softmax(z).
    const auto dqy = inside(qy).to(z.scalar_type()).div_(qc).div_(-static_cast<double>(n));
    const auto dq = at::zeros_like(q).scatter_(-1, y, dqy);
    const auto da = (dq - (dq * q).sum(-1, true)) / s;
    out.dz = at::_softmax_backward_data(da, a, -1, a.scalar_type());
  }
  return out;
}

LossOutput binary(bool logits, const at::Tensor& z, const at::Tensor& a, const at::Tensor& targets, bool gradient) {
  const int64_t K = z.size(0);
  const auto y = per_member_rows(targets, K);
  const double count = static_cast<double>(z.size(1) * z.size(2));
  LossOutput out;
  out.metric = (a > 0.5).eq(y > 0.5).all(-1).sum(1);
  if (logits) {
    out.loss = (z.clamp_min(0) - z * y + z.abs().neg_().exp_().log1p_()).mean(at::IntArrayRef{1, 2});
    if (gradient) out.dz = (a - y).div_(count);
    return out;
  }
  const auto p = a.clamp(kEps, 1.0 - kEps);
  out.loss = (y * p.log() + (1 - y) * (1 - p).log()).neg_().mean(at::IntArrayRef{1, 2});
  if (gradient) {
    const auto dp = (y / p - (1 - y) / (1 - p)).mul_(inside(a)).div_(-count);
    out.dz = at::sigmoid_backward(dp, a);
  }
  return out;
}

LossOutput squared_error(const at::Tensor& a, const at::Tensor& targets, bool gradient) {
  const auto y = per_member_rows(targets, a.size(0));
  const auto diff = a - y;
  LossOutput out;
  out.loss = diff.square().mean(at::IntArrayRef{1, 2});
  out.metric = diff.abs().le(0.5).all(-1).sum(1);
  if (gradient) out.dz = diff.mul(2.0 / static_cast<double>(a.size(1) * a.size(2)));
  return out;
}

// The exact IoU of each box with its target, (K, N): the metric of both 1 - IoU forms.
at::Tensor exact_iou(const at::Tensor& boxes, const at::Tensor& t) {
  const auto c = [](const at::Tensor& b, int64_t i) { return b.select(-1, i); };
  const auto iw = (at::minimum(c(boxes, 2), c(t, 2)) - at::maximum(c(boxes, 0), c(t, 0))).clamp_min(0);
  const auto ih = (at::minimum(c(boxes, 3), c(t, 3)) - at::maximum(c(boxes, 1), c(t, 1))).clamp_min(0);
  const auto inter = iw * ih;
  const auto area = [&](const at::Tensor& b) { return (c(b, 2) - c(b, 0)).clamp_min(0) * (c(b, 3) - c(b, 1)).clamp_min(0); };
  return inter / (area(boxes) + area(t) - inter + kEps);
}

LossOutput one_minus_iou_plus_one(const at::Tensor& boxes, const at::Tensor& targets, bool gradient) {
  const int64_t K = boxes.size(0), n = boxes.size(1);
  const auto t = per_member_rows(targets, K);
  const auto c = [](const at::Tensor& b, int64_t i) { return b.select(-1, i); };
  const auto px1 = c(boxes, 0), py1 = c(boxes, 1), px2 = c(boxes, 2), py2 = c(boxes, 3);
  const auto tx1 = c(t, 0), ty1 = c(t, 1), tx2 = c(t, 2), ty2 = c(t, 3);
  const auto ow = at::minimum(px2, tx2) - at::maximum(px1, tx1) + 1.0;
  const auto oh = at::minimum(py2, ty2) - at::maximum(py1, ty1) + 1.0;
  const auto inter = ow * oh;
  const auto pw = px2 - px1 + 1.0, ph = py2 - py1 + 1.0;
  const auto ap = pw.abs() * ph.abs();
  const auto u = (tx2 - tx1 + 1.0).abs() * (ty2 - ty1 + 1.0).abs() + ap - inter;
  const auto iou = inter / u;
  LossOutput out;
  out.metric = exact_iou(boxes, t).sum(1);
  out.loss = iou.clamp(kEps, 1.0 - kEps).mean(1).neg_().add_(1.0);
  if (gradient) {
    // dl/diou = -1/N inside the clip; diou/dI = 1/U + I/U^2 (U = A_t + A_p - I); diou/dA_p = -I/U^2.
    const auto diou = inside(iou).to(boxes.scalar_type()).mul_(-1.0 / static_cast<double>(n));
    const auto u2 = u * u;
    const auto dinter = diou * (u.reciprocal() + inter / u2);
    const auto dap = diou * (inter / u2).neg_();
    const auto dow = dinter * oh, doh = dinter * ow;
    const auto dpw = dap * ph.abs() * pw.sign(), dph = dap * pw.abs() * ph.sign();
    const auto g0 = -(dow * (px1 >= tx1)) - dpw;
    const auto g1 = -(doh * (py1 >= ty1)) - dph;
    const auto g2 = dow * (px2 <= tx2) + dpw;
    const auto g3 = doh * (py2 <= ty2) + dph;
    out.dz = at::stack({g0, g1, g2, g3}, -1);
  }
  return out;
}

LossOutput one_minus_iou(const at::Tensor& boxes, const at::Tensor& targets, bool gradient) {
  const int64_t K = boxes.size(0), n = boxes.size(1);
  const auto t = per_member_rows(targets, K);
  const auto c = [](const at::Tensor& b, int64_t i) { return b.select(-1, i); };
  const auto px1 = c(boxes, 0), py1 = c(boxes, 1), px2 = c(boxes, 2), py2 = c(boxes, 3);
  const auto tx1 = c(t, 0), ty1 = c(t, 1), tx2 = c(t, 2), ty2 = c(t, 3);
  const auto rw = at::minimum(px2, tx2) - at::maximum(px1, tx1);
  const auto rh = at::minimum(py2, ty2) - at::maximum(py1, ty1);
  const auto iw = rw.clamp_min(0), ih = rh.clamp_min(0);
  const auto inter = iw * ih;
  const auto pw = (px2 - px1).clamp_min(0), ph = (py2 - py1).clamp_min(0);
  const auto u = pw * ph + (tx2 - tx1).clamp_min(0) * (ty2 - ty1).clamp_min(0) - inter + kEps;
  const auto iou = inter / u;
  LossOutput out;
  out.metric = iou.sum(1);
  out.loss = iou.mean(1).neg_().add_(1.0);
  if (gradient) {
    const double diou = -1.0 / static_cast<double>(n);
    const auto dinter = (u.reciprocal() + inter / (u * u)).mul_(diou);
    const auto dunion = (inter / (u * u)).mul_(-diou);
    const auto dpw = dunion * ph, dph = dunion * pw;
    const auto drw = (dinter * ih).mul_(rw >= 0), drh = (dinter * iw).mul_(rh >= 0);
    const auto wpos = (px2 - px1) >= 0, hpos = (py2 - py1) >= 0;
    const auto g0 = -(drw * (px1 >= tx1)) - dpw * wpos;
    const auto g1 = -(drh * (py1 >= ty1)) - dph * hpos;
    const auto g2 = drw * (px2 <= tx2) + dpw * wpos;
    const auto g3 = drh * (py2 <= ty2) + dph * hpos;
    out.dz = at::stack({g0, g1, g2, g3}, -1);
  }
  return out;
}
}  // namespace

Registry<Loss>& losses() {
  static Registry<Loss> r("loss");
  return r;
}

namespace {
// The check of a loss that needs the last layer's activation to be `activation` (and, for
// boxes, 4 outputs).
std::function<void(const std::string&, int64_t)> needs(std::string activation, std::string loss, int64_t outputs = 0) {
  return [=](const std::string& last, int64_t n) {
    if (last != activation) throw std::invalid_argument(loss + " needs a last layer with " + activation + " activation, got " + last);
    if (outputs > 0 && n != outputs)
      throw std::invalid_argument(loss + " needs " + std::to_string(outputs) + " outputs (x1, y1, x2, y2), got " + std::to_string(n));
  };
}
using T = at::Tensor;
LRBS_REGISTER(losses, "categorical_crossentropy_logits",
              (Loss{[](const T& z, const T& a, const T& y, bool g) { return categorical(true, z, a, y, g); }, needs("softmax", "categorical cross-entropy")}));
LRBS_REGISTER(losses, "categorical_crossentropy",
              (Loss{[](const T& z, const T& a, const T& y, bool g) { return categorical(false, z, a, y, g); }, needs("softmax", "categorical cross-entropy")}));
LRBS_REGISTER(losses, "binary_crossentropy_logits",
              (Loss{[](const T& z, const T& a, const T& y, bool g) { return binary(true, z, a, y, g); }, needs("sigmoid", "binary cross-entropy")}));
LRBS_REGISTER(losses, "binary_crossentropy",
              (Loss{[](const T& z, const T& a, const T& y, bool g) { return binary(false, z, a, y, g); }, needs("sigmoid", "binary cross-entropy")}));
LRBS_REGISTER(losses, "one_minus_iou", (Loss{[](const T&, const T& a, const T& y, bool g) { return one_minus_iou(a, y, g); }, needs("linear", "1 - IoU", 4)}));
LRBS_REGISTER(losses, "one_minus_iou_plus_one",
              (Loss{[](const T&, const T& a, const T& y, bool g) { return one_minus_iou_plus_one(a, y, g); }, needs("linear", "1 - IoU", 4)}));
LRBS_REGISTER(losses, "mean_squared_error",
              (Loss{[](const T&, const T& a, const T& y, bool g) { return squared_error(a, y, g); }, needs("linear", "mean squared error")}));
}  // namespace

}  // namespace lrbs::net
