// Optimizers: one update of every parameter of every member in one call (like
// PyTorch's foreach optimizers), in place, with persistent state and no temporaries
// per parameter. Shared concerns live here; sgd.cpp and adam.cpp hold only the maths.
#pragma once
#include <memory>
#include <vector>
#include "layer.h"
#include "registry.h"

namespace lrbs::net {

// Learning rates of the K members: one scalar when they agree, else a vector that
// broadcasts against Param::by_member.
struct Rates {
  std::vector<double> values;
  bool uniform() const;
  at::Tensor vector(const Param& p, int64_t K, double scale = 1.0) const;  // scale * lr, (K, 1) or (1, K, 1)
  std::vector<float> steps(double scale) const;                            // -scale * lr per member, as float
};

// Whether updates run as one fused loop over each parameter's elements (CPU, contiguous
// float32) or as a sequence of ATen operations (any device). Both compute the same
// formulas in the same order; tests switch this to compare them.
extern bool fused_updates;

// The length of a parameter's contiguous runs of one member's elements (update_kernels.h).
int64_t member_run(const Param& p, int64_t K);

// Per member, the Euclidean norm of `t` (shaped like p's value), as a vector that broadcasts
// against p.by_member (float32, (K, 1) or (1, K, 1)). For the trust ratios of LARS and LAMB.
at::Tensor member_norms(const Param& p, const at::Tensor& t, int64_t K);

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // One update of every parameter from its gradient.
  void step(const std::vector<Param*>& params, const Rates& lr, int64_t K);
  // Keeps the state of the given members only (after the net dropped the others).
  void keep_members(const std::vector<Param*>& params, const at::Tensor& idx, int64_t K);
  int64_t iterations() const { return iterations_; }
  // For checkpoints: the step count t, and parameter i's state tensors (zeros before the first
  // step), shaped like its value.
  void set_iterations(int64_t t);
  std::vector<at::Tensor>& state(const std::vector<Param*>& params, size_t i);
  // How many state tensors (shaped like the parameter, zero at the start) the rule needs.
  virtual int state_count() const = 0;

 protected:
  // Keras 3's weight decay (base_optimizer.py, _apply_weight_decay): decoupled, applied to
  // every parameter before the rule's update, w -= lr wd w. Kinds that take `weight_decay`
  // read it here; 0 disables it.
  void read_weight_decay(Settings& s);
  // The rule for one parameter; t is the 1-based step number. `fused`: as one loop.
  virtual void update(const Param& p, std::vector<at::Tensor>& state, const Rates& lr, int64_t K, int64_t t, bool fused) = 0;

 private:
  void decay(const Param& p, const Rates& lr, int64_t K) const;
  void ensure_state(const std::vector<Param*>& params);

  std::vector<std::vector<at::Tensor>> state_;
  int64_t iterations_ = 0;
  double weight_decay_ = 0.0;
};

using OptimizerFactory = std::function<std::unique_ptr<Optimizer>(Settings&)>;
Registry<OptimizerFactory>& optimizers();
// The optimizer of a registered kind with its settings (every one read, none missing).
std::unique_ptr<Optimizer> make_optimizer(const lrbs_optimizer& o);

}  // namespace lrbs::net
