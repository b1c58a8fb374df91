// The training losses, with their gradients written by hand, and their metrics.
#pragma once
#include <ATen/ATen.h>
#include <functional>
#include "registry.h"

namespace lrbs::net {

struct LossOutput {
  at::Tensor loss;    // (K) mean loss of each member over the batch
  at::Tensor metric;  // (K) sum over the batch: correct classes, all-labels-right rows, or IoU
  at::Tensor dz;      // (K, N, O) gradient of sum_k loss_k w.r.t. the last pre-activation (when asked)
};

// A loss, registered by name (loss.cpp).
struct Loss {
  // z, a: the last layer's pre-activation and output, (K, N, O). y: class ids (N) or (K, N)
  // for the cross-entropies; (N, O) or (K, N, O) floats otherwise.
  std::function<LossOutput(const at::Tensor& z, const at::Tensor& a, const at::Tensor& y, bool gradient)> forward;
  // Checks that the loss fits the last layer's activation and width; throws naming both.
  std::function<void(const std::string& last_activation, int64_t outputs)> check;
};
Registry<Loss>& losses();

}  // namespace lrbs::net
