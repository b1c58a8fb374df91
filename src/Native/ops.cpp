// Element-wise, matrix and reduction ops. Each returns a new handle.
#include "guard.h"
#include <vector>

using lrbs::get;

extern "C" {
lrbs_tensor* lrbs_ops_add(lrbs_tensor* a, lrbs_tensor* b) { LRBS_OP(get(a) + get(b)) }
lrbs_tensor* lrbs_ops_sub(lrbs_tensor* a, lrbs_tensor* b) { LRBS_OP(get(a) - get(b)) }
lrbs_tensor* lrbs_ops_mul(lrbs_tensor* a, lrbs_tensor* b) { LRBS_OP(get(a) * get(b)) }
lrbs_tensor* lrbs_ops_div(lrbs_tensor* a, lrbs_tensor* b) { LRBS_OP(get(a) / get(b)) }
lrbs_tensor* lrbs_ops_add_scalar(lrbs_tensor* a, double s) { LRBS_OP(get(a) + s) }
lrbs_tensor* lrbs_ops_mul_scalar(lrbs_tensor* a, double s) { LRBS_OP(get(a) * s) }
lrbs_tensor* lrbs_ops_neg(lrbs_tensor* a) { LRBS_OP(-get(a)) }
lrbs_tensor* lrbs_ops_log(lrbs_tensor* a) { LRBS_OP(get(a).log()) }
lrbs_tensor* lrbs_ops_exp(lrbs_tensor* a) { LRBS_OP(get(a).exp()) }
lrbs_tensor* lrbs_ops_sqrt(lrbs_tensor* a) { LRBS_OP(get(a).sqrt()) }
lrbs_tensor* lrbs_ops_square(lrbs_tensor* a) { LRBS_OP(get(a).square()) }
lrbs_tensor* lrbs_ops_clamp(lrbs_tensor* a, double lo, double hi) { LRBS_OP(get(a).clamp(lo, hi)) }
lrbs_tensor* lrbs_ops_maximum(lrbs_tensor* a, lrbs_tensor* b) { LRBS_OP(at::maximum(get(a), get(b))) }
lrbs_tensor* lrbs_ops_minimum(lrbs_tensor* a, lrbs_tensor* b) { LRBS_OP(at::minimum(get(a), get(b))) }
lrbs_tensor* lrbs_ops_matmul(lrbs_tensor* a, lrbs_tensor* b) { LRBS_OP(at::matmul(get(a), get(b))) }
lrbs_tensor* lrbs_ops_sum(lrbs_tensor* a) { LRBS_OP(get(a).sum()) }
lrbs_tensor* lrbs_ops_mean(lrbs_tensor* a) { LRBS_OP(get(a).mean()) }
lrbs_tensor* lrbs_ops_sum_dim(lrbs_tensor* a, int dim, int keepdim) { LRBS_OP(get(a).sum(dim, keepdim != 0)) }
lrbs_tensor* lrbs_ops_mean_dim(lrbs_tensor* a, int dim, int keepdim) { LRBS_OP(get(a).mean(dim, keepdim != 0)) }
lrbs_tensor* lrbs_ops_argmax(lrbs_tensor* a, int dim) { LRBS_OP(get(a).argmax(dim)) }
lrbs_tensor* lrbs_ops_eq(lrbs_tensor* a, lrbs_tensor* b) { LRBS_OP(get(a).eq(get(b)).to(at::kFloat)) }
lrbs_tensor* lrbs_ops_gt_scalar(lrbs_tensor* a, double s) { LRBS_OP(get(a).gt(s).to(at::kFloat)) }
lrbs_tensor* lrbs_ops_to_float32(lrbs_tensor* a) { LRBS_OP(get(a).to(at::kFloat)) }

lrbs_tensor* lrbs_ops_reshape(lrbs_tensor* a, const int64_t* shape, int ndim) {
  LRBS_OP(get(a).reshape(std::vector<int64_t>(shape, shape + ndim)))
}

lrbs_tensor* lrbs_ops_permute(lrbs_tensor* a, const int64_t* dims, int ndim) {
  LRBS_OP(get(a).permute(std::vector<int64_t>(dims, dims + ndim)).contiguous())
}

lrbs_tensor* lrbs_ops_select_cols(lrbs_tensor* a, int64_t start, int64_t length) {
  LRBS_OP(get(a).narrow(1, start, length))
}

lrbs_tensor* lrbs_ops_index_select(lrbs_tensor* a, int dim, lrbs_tensor* index) {
  LRBS_OP(get(a).index_select(dim, get(index)))
}

lrbs_tensor* lrbs_ops_one_hot(lrbs_tensor* labels, int64_t classes) {
  LRBS_OP(at::one_hot(get(labels), classes).to(at::kFloat))
}

int lrbs_ops_all_finite(lrbs_tensor* a) {
  LRBS_TRY return get(a).isfinite().all().item<bool>() ? 1 : 0; LRBS_CATCH(-1)
}
}
