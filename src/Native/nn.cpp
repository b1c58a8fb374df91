// Neural-network ops: dense, convolution, pooling, activations, dropout.
#include "guard.h"

using lrbs::get;

extern "C" {
lrbs_tensor* lrbs_nn_linear(lrbs_tensor* x, lrbs_tensor* w, lrbs_tensor* b) {
  // x: (N, in), w: (in, out) as Keras stores it, b: (out)
  LRBS_OP(at::addmm(get(b), get(x), get(w)))
}

lrbs_tensor* lrbs_nn_conv2d(lrbs_tensor* x, lrbs_tensor* w, lrbs_tensor* b, int stride, int pad_top,
                            int pad_bottom, int pad_left, int pad_right) {
  LRBS_TRY
  at::Tensor input = get(x);
  // Keras "same" padding can be asymmetric (more at the bottom/right); pad explicitly then.
  if (pad_top != pad_bottom || pad_left != pad_right) {
    input = at::constant_pad_nd(input, {pad_left, pad_right, pad_top, pad_bottom}, 0.0);
    return lrbs::wrap(at::conv2d(input, get(w), get(b), at::IntArrayRef{stride, stride}, at::IntArrayRef{0, 0}));
  }
  return lrbs::wrap(at::conv2d(input, get(w), get(b), at::IntArrayRef{stride, stride}, at::IntArrayRef{pad_top, pad_left}));
  LRBS_CATCH(nullptr)
}

lrbs_tensor* lrbs_nn_max_pool2d(lrbs_tensor* x, int kernel, int stride) {
  LRBS_OP(at::max_pool2d(get(x), at::IntArrayRef{kernel, kernel}, at::IntArrayRef{stride, stride}))
}

lrbs_tensor* lrbs_nn_relu(lrbs_tensor* x) { LRBS_OP(at::relu(get(x))) }
lrbs_tensor* lrbs_nn_sigmoid(lrbs_tensor* x) { LRBS_OP(at::sigmoid(get(x))) }
lrbs_tensor* lrbs_nn_softmax(lrbs_tensor* x, int dim) { LRBS_OP(at::softmax(get(x), dim)) }
lrbs_tensor* lrbs_nn_log_softmax(lrbs_tensor* x, int dim) { LRBS_OP(at::log_softmax(get(x), dim)) }

lrbs_tensor* lrbs_nn_dropout(lrbs_tensor* x, double rate, int training) {
  LRBS_TRY
  if (rate < 0.0 || rate >= 1.0) throw std::invalid_argument("dropout rate must be in [0, 1)");
  return lrbs::wrap(at::dropout(get(x), rate, training != 0));
  LRBS_CATCH(nullptr)
}
}
