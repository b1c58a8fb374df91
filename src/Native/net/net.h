// A net: K members of one architecture, their optimizer and generators, and the one
// training step (forward, loss, backward, update, statistics) that lrbs runs.
#pragma once
#include <memory>
#include <vector>
#include "layer.h"
#include "loss.h"
#include "optimizer.h"

namespace lrbs::net {

// One batch as the first layer sees it, and its targets.
struct Batch {
  Act x;
  at::Tensor y;  // shared: (N) or (N, O); per member: (K, N) or (K, N, O)
  int64_t rows;
  Batch rows_range(int64_t start, int64_t count) const;
};

// The output of layers without weights or randomness (a network's constant prefix) for rows x,
// forward only, one member: what a net's first layers compute there, bit for bit.
at::Tensor forward_constant(const lrbs_layer* layers, int n_layers, const at::Tensor& x);

class Net {
 public:
  Net(const lrbs_layer* layers, int n_layers, int64_t members, bool shared_input, const std::string& loss, const lrbs_optimizer& optimizer,
      const uint64_t* seeds);

  int64_t members() const { return K_; }
  // Every weight array in Keras's get_weights() order (trainable parameters and state).
  const std::vector<Param*>& arrays() const { return arrays_; }
  // The trainable parameters, in the same order.
  const std::vector<Param*>& params() const { return params_; }

  void step(const at::Tensor& x, const at::Tensor& y, const at::Tensor& index, int64_t start, int64_t size, const std::vector<double>& lrs, int64_t gns_micro);
  // (K, 3) float64: loss sum, metric sum, examples, over rows of x in chunks, evaluation mode.
  at::Tensor evaluate(const at::Tensor& x, const at::Tensor& y, int64_t chunk);
  at::Tensor predict(const at::Tensor& x, int64_t chunk);  // (K, N, O)
  void keep_members(const std::vector<int64_t>& members);
  // What a checkpoint saves beside the weights: the optimizer (state and step count) and each
  // member's dropout generator.
  Optimizer& optimizer() { return *optimizer_; }
  at::Generator& generator(int64_t member) { return generators_.at(member); }

  // The columns of stats and of evaluate's totals: per member, the loss and the metric summed over
  // examples, and the examples (lrbs_totals at the C boundary).
  static constexpr int64_t kLossSum = 0, kMetricSum = 1, kExamples = 2;
  at::Tensor stats;      // (K, 3) float64 since the last reset
  at::Tensor last_loss;  // (K)
  at::Tensor gns_small;  // (K) float64: mean |G_b|^2 over the micro-batches of the last measuring step
  at::Tensor gns_big;    // (K) float64: |G_B|^2 of that step's batch

 private:
  Batch gather(const at::Tensor& x, const at::Tensor& y, const at::Tensor& index, int64_t start, int64_t size) const;
  Act evaluation_input(const at::Tensor& x, int64_t start, int64_t size) const;
  LossOutput forward(const Batch& b, bool training, bool gradient, std::vector<at::Generator>& generators, bool update_state = true);
  void backward(const at::Tensor& dz);
  at::Tensor grad_sqnorms() const;  // (K) float64

  int64_t K_;
  bool shared_input_;
  const Loss& loss_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Param*> params_, arrays_;
  size_t first_weighted_ = 0;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<at::Generator> generators_;
};

}  // namespace lrbs::net
