// The pieces every layer of a net shares: parameters of K members, the activations
// flowing between layers, and the Layer interface (forward, and a hand-written
// backward: the step builds no autograd graph).
#pragma once
#include <ATen/ATen.h>
#include <memory>
#include <string>
#include <vector>
#include "../lrbs_native.h"

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
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual Act forward(const Act& x, const Context& ctx) = 0;
  // From the gradient of the output (or, with `preactivation`, of the pre-activation z,
  // as the loss gives it for the last layer) to the gradient of the input; writes the
  // parameters' gradients. Returns an undefined tensor when !need_dx.
  virtual at::Tensor backward(const at::Tensor& dy, bool preactivation, bool need_dx) = 0;
  virtual std::vector<Param*> params() { return {}; }
  // The last forward's pre-activation and output (layers with an activation).
  virtual at::Tensor z() const { return {}; }
  virtual at::Tensor a() const { return {}; }
  virtual void keep_members(const at::Tensor& idx, int64_t K) {}
  // False for layers before the first layer with weights: nothing flows back through them.
  virtual void set_backward_needed(bool needed) {}
};

// The shared part of Dense and Conv2D: a kernel and a bias of K members, an activation, and
// the last forward's pre-activation z and output a.
class WeightedLayer : public Layer {
 public:
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

 protected:
  WeightedLayer(int activation, int64_t K) : act_(activation), K_(K) {}
  int act_;
  int64_t K_;
  Param w_, b_;
  at::Tensor z_, a_;
};

// Activation functions and their derivatives (softmax over the last axis).
at::Tensor activate(int activation, const at::Tensor& z);
at::Tensor activation_backward(int activation, const at::Tensor& dy, const at::Tensor& z, const at::Tensor& a);

std::unique_ptr<Layer> make_dense(const lrbs_layer& spec, int64_t K, bool shared_input);
std::unique_ptr<Layer> make_conv2d(const lrbs_layer& spec, int64_t K, bool shared_input);
std::unique_ptr<Layer> make_maxpool2d(const lrbs_layer& spec);
// 1 (default): MaxPool2D's 2x2 windows use the AVX2 kernel where the CPU has it; 0: the scalar
// loop it reproduces bit for bit. For tests that compare the two.
extern bool vector_pooling;
std::unique_ptr<Layer> make_flatten(const lrbs_layer& spec);
std::unique_ptr<Layer> make_dropout(const lrbs_layer& spec);

}  // namespace lrbs::net
