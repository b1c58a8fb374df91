// Autograd: requires-grad flags, backward, gradients, grad mode.
#include "guard.h"
#include <c10/core/GradMode.h>

using lrbs::get;

extern "C" {
int lrbs_autograd_set_requires_grad(lrbs_tensor* t, int requires) {
  LRBS_TRY
  get(t).set_requires_grad(requires != 0);
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_autograd_backward(lrbs_tensor* loss) {
  LRBS_TRY
  get(loss).backward();
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_autograd_grad(lrbs_tensor* t, lrbs_tensor** out) {
  LRBS_TRY
  if (out == nullptr) throw std::invalid_argument("null out pointer");
  const at::Tensor& g = get(t).grad();
  *out = g.defined() ? lrbs::wrap(g) : nullptr;
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_autograd_zero_grad(lrbs_tensor* t) {
  LRBS_TRY
  auto& g = get(t).mutable_grad();
  if (g.defined()) g = at::Tensor();  // like set_to_none=True: the next backward allocates afresh
  return 0;
  LRBS_CATCH(-1)
}

int lrbs_autograd_set_enabled(int enabled) {
  LRBS_TRY
  bool previous = c10::GradMode::is_enabled();
  c10::GradMode::set_enabled(enabled != 0);
  return previous ? 1 : 0;
  LRBS_CATCH(-1)
}
}
