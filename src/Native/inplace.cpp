// In-place updates used by the optimizers. Callers run them with grad mode off.
#include "guard.h"

using lrbs::get;

extern "C" {
int lrbs_inplace_add(lrbs_tensor* self, lrbs_tensor* other, double alpha) {
  LRBS_TRY get(self).add_(get(other), alpha); return 0; LRBS_CATCH(-1)
}
int lrbs_inplace_mul_scalar(lrbs_tensor* self, double s) {
  LRBS_TRY get(self).mul_(s); return 0; LRBS_CATCH(-1)
}
int lrbs_inplace_addcmul(lrbs_tensor* self, lrbs_tensor* a, lrbs_tensor* b, double value) {
  LRBS_TRY get(self).addcmul_(get(a), get(b), value); return 0; LRBS_CATCH(-1)
}
int lrbs_inplace_addcdiv(lrbs_tensor* self, lrbs_tensor* a, lrbs_tensor* b, double value) {
  LRBS_TRY get(self).addcdiv_(get(a), get(b), value); return 0; LRBS_CATCH(-1)
}
int lrbs_inplace_copy(lrbs_tensor* self, lrbs_tensor* src) {
  LRBS_TRY get(self).copy_(get(src)); return 0; LRBS_CATCH(-1)
}
int lrbs_inplace_zero(lrbs_tensor* self) {
  LRBS_TRY get(self).zero_(); return 0; LRBS_CATCH(-1)
}
}
