// The C ABI of nets (net/): creation, weights in Keras's layout, the training step,
// statistics, evaluation and prediction. Every body runs in inference mode: the step
// writes its own gradients, so libtorch's autograd is never needed.
#include <c10/core/InferenceMode.h>
#include <algorithm>
#include <cstring>
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

void check_member(const lrbs::net::Net& n, int member) {
  if (member < 0 || member >= n.members())
    throw std::invalid_argument("member " + std::to_string(member) + " out of range 0.." + std::to_string(n.members() - 1));
}

void copy_rows(const at::Tensor& t, double* out) {
  const auto c = t.to(at::kDouble).contiguous();
  std::memcpy(out, c.data_ptr<double>(), sizeof(double) * c.numel());
}

at::Tensor optional(lrbs_tensor* h) { return h == nullptr ? at::Tensor() : get(h); }
}  // namespace

extern "C" {

lrbs_net* lrbs_net_create(const lrbs_layer* layers, int n_layers, int members, int shared_input, const char* loss,
                          const lrbs_optimizer* optimizer, const uint64_t* seeds) {
  LRBS_TRY
  c10::InferenceMode guard;
  if (layers == nullptr || optimizer == nullptr || seeds == nullptr || loss == nullptr) throw std::invalid_argument("null argument");
  auto h = new lrbs_net{lrbs::net::Net(layers, n_layers, members, shared_input != 0, loss, *optimizer, seeds)};
  lrbs::live_handles.fetch_add(1, std::memory_order_relaxed);
  return h;
  LRBS_CATCH(nullptr)
}

void lrbs_net_dispose(lrbs_net* h) {
  if (h == nullptr) return;
  lrbs::live_handles.fetch_sub(1, std::memory_order_relaxed);
  delete h;
}

int lrbs_net_members(lrbs_net* h) { LRBS_TRY return static_cast<int>(net_of(h).members()); LRBS_CATCH(-1) }

int lrbs_net_param_arrays(lrbs_net* h) { LRBS_TRY return static_cast<int>(net_of(h).arrays().size()); LRBS_CATCH(-1) }

int lrbs_net_read(lrbs_net* h, int what, int index, int member, float* out, int64_t count) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  check_member(n, member);
  auto& p = param_of(n, index);
  if (what != 0 && what != 1) throw std::invalid_argument("what must be 0 (values) or 1 (gradients), got " + std::to_string(what));
  const auto& trainable = n.params();
  if (what == 1 && std::find(trainable.begin(), trainable.end(), &p) == trainable.end())
    throw std::invalid_argument("weight array " + std::to_string(index) + " is state (not trainable): it has no gradient");
  const auto t = p.keras(what == 0 ? p.value : p.grad, member, n.members());
  if (t.numel() != count)
    throw std::invalid_argument("buffer holds " + std::to_string(count) + " values, the array has " + std::to_string(t.numel()));
  std::memcpy(out, t.data_ptr<float>(), sizeof(float) * count);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_write(lrbs_net* h, int index, int member, const float* values, int64_t count) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  check_member(n, member);
  param_of(n, index).set_keras(member, n.members(), at::from_blob(const_cast<float*>(values), {count}, at::kFloat));
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_step(lrbs_net* h, lrbs_tensor* x, lrbs_tensor* y, lrbs_tensor* index, int64_t start, int64_t size,
                  const double* lrs, int64_t gns_micro) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  n.step(get(x), get(y), optional(index), start, size, std::vector<double>(lrs, lrs + n.members()), gns_micro);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_last_loss(lrbs_net* h, double* out) {
  LRBS_TRY c10::InferenceMode guard; copy_rows(net_of(h).last_loss, out); return 0; LRBS_CATCH(-1)
}

int lrbs_net_gns(lrbs_net* h, double* small_sq, double* big_sq) {
  LRBS_TRY
  c10::InferenceMode guard;
  copy_rows(net_of(h).gns_small, small_sq);
  copy_rows(net_of(h).gns_big, big_sq);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_stats(lrbs_net* h, double* out, int reset) {
  LRBS_TRY
  c10::InferenceMode guard;
  auto& n = net_of(h);
  copy_rows(n.stats, out);
  if (reset) n.stats.zero_();
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_net_evaluate(lrbs_net* h, lrbs_tensor* x, lrbs_tensor* y, int64_t chunk, double* out) {
  LRBS_TRY
  c10::InferenceMode guard;
  if (chunk < 1) throw std::invalid_argument("chunk must be >= 1");
  copy_rows(net_of(h).evaluate(get(x), get(y), chunk), out);
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
