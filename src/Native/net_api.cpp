// The C ABI of nets (net/): creation, weights in Keras's layout, the training step,
// statistics, evaluation and prediction. Every body runs in inference mode: the step
// writes its own gradients, so libtorch's autograd is never needed.
#include <c10/core/InferenceMode.h>
#include <algorithm>
#include <cstring>
#include <mutex>
#include "guard.h"
#include "net/net.h"

struct lrbs_net {
  lrbs::net::Net net;
};

using lrbs::get;

namespace {
lrbs::net::Net& net_of(lrbs_net* h) {
  if (h == nullptr) throw std::invalid_argument("null net handle");
  return h->net;
}

lrbs::net::Param& param_of(lrbs::net::Net& n, int index) {
  const auto& ps = n.arrays();
  if (index < 0 || index >= static_cast<int>(ps.size()))
    throw std::invalid_argument("parameter array " + std::to_string(index) + " out of range 0.." + std::to_string(ps.size() - 1));
  return *ps[index];
}

// The position of an array among the trainable parameters (the optimizer's order).
size_t trainable_index(lrbs::net::Net& n, const lrbs::net::Param& p, int index) {
  const auto& trainable = n.params();
  const auto it = std::find(trainable.begin(), trainable.end(), &p);
  if (it == trainable.end())
    throw std::invalid_argument("weight array " + std::to_string(index) + " is state (not trainable): it has no gradient or optimizer state");
  return static_cast<size_t>(it - trainable.begin());
}

// The array of weight `index` that `part` (and `slot`, for the optimizer's state) names.
at::Tensor& weight_part(lrbs::net::Net& n, lrbs::net::Param& p, int index, lrbs_weight_part part, int slot) {
  const int slots = n.optimizer().state_count();
  if (part != LRBS_WEIGHT_OPTIMIZER_STATE && slot != 0) throw std::invalid_argument("slot " + std::to_string(slot) + " applies only to the optimizer's state");
  switch (part) {
    case LRBS_WEIGHT_VALUES:
      return p.value;
    case LRBS_WEIGHT_GRADIENTS:
      trainable_index(n, p, index);
      return p.grad;
    case LRBS_WEIGHT_OPTIMIZER_STATE:
      if (slot < 0 || slot >= slots)
        throw std::invalid_argument("optimizer state slot " + std::to_string(slot) + " out of range 0.." + std::to_string(slots - 1));
      return n.optimizer().state(n.params(), trainable_index(n, p, index))[slot];
  }
  throw std::invalid_argument("unknown weight part " + std::to_string(static_cast<int>(part)));
}

void check_member(const lrbs::net::Net& n, int member) {
  if (member < 0 || member >= n.members())
    throw std::invalid_argument("member " + std::to_string(member) + " out of range 0.." + std::to_string(n.members() - 1));
}

void copy_rows(const at::Tensor& t, double* out) {
  const auto c = t.to(at::kDouble).contiguous();
  std::memcpy(out, c.data_ptr<double>(), sizeof(double) * c.numel());
}

// (members, 3) sums, columns named by lrbs::Net's Totals, into one lrbs_totals per member.
void copy_totals(const at::Tensor& t, lrbs_totals* out) {
  const auto c = t.to(at::kDouble).contiguous();
  const auto a = c.accessor<double, 2>();
  for (int64_t k = 0; k < c.size(0); ++k)
    out[k] = lrbs_totals{a[k][lrbs::net::Net::kLossSum], a[k][lrbs::net::Net::kMetricSum], a[k][lrbs::net::Net::kExamples]};
}

at::Tensor optional(lrbs_tensor* h) { return h == nullptr ? at::Tensor() : get(h); }
}  // namespace

extern "C" {

lrbs_net* lrbs_net_create(const lrbs_layer* layers, int n_layers, int members, int shared_input, const char* loss, const lrbs_optimizer* optimizer,
                          const uint64_t* seeds) {
  LRBS_TRY
  c10::InferenceMode guard;
  if (layers == nullptr || optimizer == nullptr || seeds == nullptr || loss == nullptr) throw std::invalid_argument("null argument");
  auto h = new lrbs_net{lrbs::net::Net(layers, n_layers, members, shared_input != 0, loss, *optimizer, seeds)};
  lrbs::live_handles.fetch_add(1, std::memory_order_relaxed);
  return h;
  LRBS_CATCH(nullptr)
}

lrbs_tensor* lrbs_constant_forward(const lrbs_layer* layers, int n_layers, lrbs_tensor* x) {
  LRBS_TRY
  c10::InferenceMode guard;
  if (layers == nullptr) throw std::invalid_argument("null argument");
  return lrbs::wrap(lrbs::net::forward_constant(layers, n_layers, get(x)));
  LRBS_CATCH(nullptr)
}

void lrbs_net_dispose(lrbs_net* h) {
  if (h == nullptr) return;
  lrbs::live_handles.fetch_sub(1, std::memory_order_relaxed);
  delete h;
}

int lrbs_net_members(lrbs_net* h) {
  LRBS_TRY return static_cast<int>(net_of(h).members());
  LRBS_CATCH(-1)
}

int lrbs_net_param_arrays(lrbs_net* h) {
  LRBS_TRY return static_cast<int>(net_of(h).arrays().size());
  LRBS_CATCH(-1)
}

int lrbs_net_read(lrbs_net* h, lrbs_weight_part part, int slot, int index, int member, float* out, int64_t count) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  check_member(n, member);
  auto& p = param_of(n, index);
  const auto k = p.keras(weight_part(n, p, index, part, slot), member, n.members());
  if (k.numel() != count) throw std::invalid_argument("buffer holds " + std::to_string(count) + " values, the array has " + std::to_string(k.numel()));
  std::memcpy(out, k.data_ptr<float>(), sizeof(float) * count);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_write(lrbs_net* h, lrbs_weight_part part, int slot, int index, int member, const float* values, int64_t count) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  check_member(n, member);
  auto& p = param_of(n, index);
  if (part == LRBS_WEIGHT_GRADIENTS) throw std::invalid_argument("gradients are read only");
  p.set_keras(weight_part(n, p, index, part, slot), member, n.members(), at::from_blob(const_cast<float*>(values), {count}, at::kFloat));
  return 0;
  LRBS_CATCH(-1)
}

int64_t lrbs_net_optimizer_steps(lrbs_net* h) {
  LRBS_TRY return net_of(h).optimizer().iterations();
  LRBS_CATCH(-1)
}

int lrbs_net_set_optimizer_steps(lrbs_net* h, int64_t steps) {
  LRBS_TRY net_of(h).optimizer().set_iterations(steps);
  return 0;
  LRBS_CATCH(-1)
}

int64_t lrbs_net_generator_state(lrbs_net* h, int member, uint8_t* out, int64_t capacity) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  check_member(n, member);
  auto& g = n.generator(member);
  at::Tensor state;
  {
    std::lock_guard<std::mutex> lock(g.mutex());
    state = g.get_state().contiguous();
  }
  const int64_t size = state.numel();
  if (out != nullptr) {
    if (capacity < size) throw std::invalid_argument("buffer holds " + std::to_string(capacity) + " bytes, the state has " + std::to_string(size));
    std::memcpy(out, state.data_ptr<uint8_t>(), size);
  }
  return size;
  LRBS_CATCH(-1)
}

int lrbs_net_set_generator_state(lrbs_net* h, int member, const uint8_t* state, int64_t size) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  check_member(n, member);
  if (state == nullptr) throw std::invalid_argument("null state");
  auto& g = n.generator(member);
  std::lock_guard<std::mutex> lock(g.mutex());
  const int64_t expected = g.get_state().numel();
  if (size != expected) throw std::invalid_argument("a generator state has " + std::to_string(expected) + " bytes, got " + std::to_string(size));
  g.set_state(at::from_blob(const_cast<uint8_t*>(state), {size}, at::kByte).clone());
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_step(lrbs_net* h, lrbs_tensor* x, lrbs_tensor* y, lrbs_tensor* index, int64_t start, int64_t size, const double* lrs, int64_t gns_micro) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  n.step(get(x), get(y), optional(index), start, size, std::vector<double>(lrs, lrs + n.members()), gns_micro);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_last_loss(lrbs_net* h, double* out) {
  LRBS_TRY c10::InferenceMode guard;
  copy_rows(net_of(h).last_loss, out);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_gns(lrbs_net* h, double* small_sq, double* big_sq) {
  LRBS_TRY
  c10::InferenceMode guard;
  copy_rows(net_of(h).gns_small, small_sq);
  copy_rows(net_of(h).gns_big, big_sq);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_stats(lrbs_net* h, lrbs_totals* out, int reset) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  copy_totals(n.stats, out);
  if (reset) n.stats.zero_();
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_evaluate(lrbs_net* h, lrbs_tensor* x, lrbs_tensor* y, int64_t chunk, lrbs_totals* out) {
  LRBS_TRY
  c10::InferenceMode guard;
  if (chunk < 1) throw std::invalid_argument("chunk must be >= 1");
  copy_totals(net_of(h).evaluate(get(x), get(y), chunk), out);
  return 0;
  LRBS_CATCH(-1)
}

lrbs_tensor* lrbs_net_predict(lrbs_net* h, lrbs_tensor* x, int64_t chunk) {
  LRBS_TRY
  c10::InferenceMode guard;
  if (chunk < 1) throw std::invalid_argument("chunk must be >= 1");
  return lrbs::wrap(net_of(h).predict(get(x), chunk));
  LRBS_CATCH(nullptr)
}

int lrbs_net_keep_members(lrbs_net* h, const int64_t* members, int count) {
  LRBS_TRY
  c10::InferenceMode guard;
  net_of(h).keep_members(std::vector<int64_t>(members, members + count));
  return 0;
  LRBS_CATCH(-1)
}
}
