// The pieces every layer of a net shares: parameters of K members, the activations
// flowing between layers, and the Layer interface (forward, and a hand-written
// backward: the step builds no autograd graph).
#pragma once
#include <ATen/ATen.h>
#include <atomic>
#include <memory>
#include <string>
#include <vector>
#include "../lrbs_native.h"
#include "registry.h"

namespace lrbs::net {

// How one member's slice of a parameter lies inside the tensor of all K members.
enum class ParamKind {
  DenseKernel,      // (K, in, out); member m: [m] = Keras (in, out)
  DenseKernelWide,  // (in, K, out); member m: [:, m, :]. Lets a shared input meet all members in one matmul
  DenseBias,        // (K, out)
  ConvKernel,       // (K*F, C, kh, kw), K blocks of F filters; Keras (kh, kw, C, F) = permute(2, 3, 1, 0)
  ConvBias,         // (K*F)
};

struct Param {
  ParamKind kind;
  at::Tensor value;
  at::Tensor grad;  // same shape as value; written by backward

  // `t` (value, grad or optimizer state) with the member axis exposed: (K, rest), or (in, K, out).
  at::Tensor by_member(const at::Tensor& t, int64_t K) const;
  // The shape of a per-member vector that broadcasts against by_member: (K, 1) or (1, K, 1).
  std::vector<int64_t> member_vector_shape(int64_t K) const;
  // Member m's slice of `t` in Keras's layout (a copy).
  at::Tensor keras(const at::Tensor& t, int64_t m, int64_t K) const;
  std::vector<int64_t> keras_shape(int64_t K) const;
  void set_keras(int64_t m, int64_t K, const at::Tensor& keras_values);
  // The same into `target`, a tensor shaped like value (an optimizer's state).
  void set_keras(at::Tensor& target, int64_t m, int64_t K, const at::Tensor& keras_values) const;
  // `t` with only the members in `idx` (K' = idx.numel()), in that order.
  at::Tensor select_members(const at::Tensor& t, const at::Tensor& idx, int64_t K) const;
};

// Activations between layers.
//   flat:  shared (N, F)        or per member (K, N, F)
//   image: shared (N, C, H, W)  or per member (N, K*C, H, W): member k owns channels [kC, (k+1)C)
// "Shared" holds until the first layer with weights: every member sees the same input.
struct Act {
  at::Tensor t;
  bool shared;
};

struct Context {
  int64_t members;
  bool training;
  std::vector<at::Generator>* generators;  // one per member (dropout masks)
  // Whether a training pass moves the layers' state (BatchNormalization's moving statistics):
  // the training step's pass does, the noise scale's micro-batch passes do not.
  bool update_state = true;
};

// An activation function and its derivative, registered by name (activation.cpp).
// `alpha`: leaky_relu's negative slope, elu's alpha; unused by the others.
struct Activation {
  std::string name;
  bool uses_alpha;
  std::function<at::Tensor(const at::Tensor& z, double alpha)> forward;
  // From dy to dz, given z and a = forward(z).
  std::function<at::Tensor(const at::Tensor& dy, const at::Tensor& z, const at::Tensor& a, double alpha)> backward;
};
Registry<Activation>& activations();

// What a layer's factory is given: its settings (with the input shape), its activation, and
// the members. `shared`: every member sees the same input here (before the first layer with
// weights).
struct LayerArgs {
  Settings& settings;
  const Activation& activation;
  double alpha;
  int64_t members;
  bool shared;
  int64_t in_channels, in_height, in_width;
  bool image() const { return in_height > 0; }
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual Act forward(const Act& x, const Context& ctx) = 0;
  // From the gradient of the output (or, with `preactivation`, of the pre-activation z,
  // as the loss gives it for the last layer) to the gradient of the input; writes the
  // parameters' gradients. Returns an undefined tensor when !need_dx.
  virtual at::Tensor backward(const at::Tensor& dy, bool preactivation, bool need_dx) = 0;
  // Trainable parameters, updated by the optimizer.
  virtual std::vector<Param*> params() { return {}; }
  // State kept with the weights but never updated by the optimizer (moving statistics).
  virtual std::vector<Param*> buffers() { return {}; }
  // The last forward's pre-activation and output (layers with an activation).
  virtual at::Tensor z() const { return {}; }
  virtual at::Tensor a() const { return {}; }
  virtual void keep_members(const at::Tensor& idx, int64_t K) {}
  // False for layers before the first layer with weights: nothing flows back through them.
  virtual void set_backward_needed(bool needed) {}
  // Whether this layer's output is per member even for a shared input (layers with weights,
  // dropout's own masks); layers after it are built for per-member inputs.
  virtual bool separates_members() { return !params().empty(); }
  // Layers with an activation (Dense, Conv2D), and the width of a Dense output (0 otherwise).
  virtual bool has_activation() const { return false; }
  virtual int64_t outputs() const { return 0; }
};

// The shared part of Dense and Conv2D: a kernel and a bias of K members, an activation, and
// the last forward's pre-activation z and output a.
class WeightedLayer : public Layer {
 public:
  std::vector<Param*> params() override { return {&w_, &b_}; }
  at::Tensor z() const override { return z_; }
  at::Tensor a() const override { return a_; }
  bool has_activation() const override { return true; }
  void keep_members(const at::Tensor& idx, int64_t K) override {
    for (Param* p : {&w_, &b_}) {
      p->value = p->select_members(p->value, idx, K);
      p->grad = p->select_members(p->grad, idx, K);
    }
    K_ = idx.numel();
  }

 protected:
  WeightedLayer(const LayerArgs& a) : act_(a.activation), alpha_(a.alpha), K_(a.members) {}
  at::Tensor activate(const at::Tensor& z) const { return act_.forward(z, alpha_); }
  at::Tensor activation_backward(const at::Tensor& dy) const { return act_.backward(dy, z_, a_, alpha_); }
  const Activation& act_;
  double alpha_;
  int64_t K_;
  Param w_, b_;
  at::Tensor z_, a_;
};

using LayerFactory = std::function<std::unique_ptr<Layer>(LayerArgs&)>;
Registry<LayerFactory>& layers();

// 1 (default): MaxPool2D's 2x2 windows use the AVX2 kernel where the CPU has it; 0: the scalar
// loop it reproduces bit for bit. For tests that compare the two.
extern bool vector_pooling;

// 1 (default): Conv2D layers of at most 8 filters and channels per member run the direct
// convolution (narrow_conv.h); 0: ATen's im2col kernels, as before it. For tests and the bench.
extern bool direct_conv;

// 1 (default): Dense layers of one member on contiguous float32 rows run the direct kernels
// (dense_direct.h), bit for bit ATen's results; 0: ATen's operations. For tests and the bench.
extern bool direct_dense;
// Forward passes of a Dense layer through the direct kernels so far, in this process.
extern std::atomic<int64_t> direct_dense_passes;

}  // namespace lrbs::net
