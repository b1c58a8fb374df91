// The activation functions, as Keras defines them, each with its derivative (dy -> dz):
//   linear      a = z                                  dz = dy
//   relu        a = max(z, 0)                          dz = dy [z > 0]
//   sigmoid     a = 1 / (1 + exp(-z))                  dz = dy a (1 - a)
//   tanh        a = tanh z                             dz = dy (1 - a^2)
//   softmax     a = exp(z) / sum exp(z) (last axis)    dz = a (dy - sum(dy a))
//   leaky_relu  a = z if z > 0 else alpha z            dz = dy (1 if z > 0 else alpha)
//   elu         a = z if z > 0 else alpha (exp z - 1)  dz = dy (1 if z > 0 else a + alpha)
//   gelu        a = z Phi(z) = z (1 + erf(z / sqrt 2)) / 2 (exact, Keras' default approximate=False)
//               dz = dy (Phi(z) + z phi(z))
#include "layer.h"

namespace lrbs::net {

Registry<Activation>& activations() {
  static Registry<Activation> r("activation");
  return r;
}

namespace {
using T = at::Tensor;
LRBS_REGISTER(activations, "linear",
              (Activation{"linear", false, [](const T& z, double) { return z; }, [](const T& dy, const T&, const T&, double) { return dy; }}));
LRBS_REGISTER(activations, "relu",
              (Activation{"relu", false, [](const T& z, double) { return at::relu(z); },
                          [](const T& dy, const T& z, const T&, double) { return at::threshold_backward(dy, z, 0); }}));
LRBS_REGISTER(activations, "sigmoid",
              (Activation{"sigmoid", false, [](const T& z, double) { return at::sigmoid(z); },
                          [](const T& dy, const T&, const T& a, double) { return at::sigmoid_backward(dy, a); }}));
LRBS_REGISTER(activations, "tanh",
              (Activation{"tanh", false, [](const T& z, double) { return at::tanh(z); },
                          [](const T& dy, const T&, const T& a, double) { return at::tanh_backward(dy, a); }}));
LRBS_REGISTER(activations, "softmax",
              (Activation{"softmax", false, [](const T& z, double) { return at::softmax(z, -1); },
                          [](const T& dy, const T&, const T& a, double) { return at::_softmax_backward_data(dy, a, -1, a.scalar_type()); }}));
LRBS_REGISTER(activations, "leaky_relu",
              (Activation{"leaky_relu", true, [](const T& z, double alpha) { return at::leaky_relu(z, alpha); },
                          [](const T& dy, const T& z, const T&, double alpha) { return at::leaky_relu_backward(dy, z, alpha, false); }}));
LRBS_REGISTER(activations, "elu",
              (Activation{"elu", true, [](const T& z, double alpha) { return at::elu(z, alpha); },
                          [](const T& dy, const T&, const T& a, double alpha) { return at::elu_backward(dy, alpha, 1.0, 1.0, true, a); }}));
LRBS_REGISTER(activations, "gelu",
              (Activation{"gelu", false, [](const T& z, double) { return at::gelu(z, "none"); },
                          [](const T& dy, const T& z, const T&, double) { return at::gelu_backward(dy, z, "none"); }}));
}  // namespace
}  // namespace lrbs::net
