// A direct convolution for layers of few channels and filters (S7's box CNN: 1 to 4), where
// ATen's im2col kernels copy the input k^2 times to feed a product whose one side is 4 wide, and
// oneDNN is slower still (conv2d.cpp). NCHW float32, a square k x k kernel, stride s, symmetric
// zero padding p (conv2d.cpp pads asymmetric "same" padding explicitly first):
//   z[n,f,oy,ox] = b[f] + sum_{c,ky,kx} w[f,c,ky,kx] x[n,c,oy s+ky-p, ox s+kx-p]
//   dw[f,c,ky,kx] = sum_{n,oy,ox} dz[n,f,oy,ox] x[n,c,oy s+ky-p, ox s+kx-p],  db[f] = sum dz[n,f,..]
//   dx[n,c,iy,ix] = sum_{f,ky,kx: iy = oy s+ky-p, ix = ox s+kx-p} w[f,c,ky,kx] dz[n,f,oy,ox]
// Each inner loop runs along an output (or input) row, contiguous, so that it vectorises; the
// work is split over examples (dw and db: each thread into its own arrays, added in order). The
// sums run in another order than ATen's: results differ at float32 rounding.
#pragma once
#include <ATen/ATen.h>

namespace lrbs::net::narrow {
// z (N, F, OH, OW) for x (N, C, H, W) whose (H, W) planes are contiguous, w (F, C, k, k), b (F).
at::Tensor forward(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, int64_t stride, int64_t pad);
// (dx or undefined, dw, db) for dz (N, F, OH, OW).
std::tuple<at::Tensor, at::Tensor, at::Tensor> backward(const at::Tensor& dz, const at::Tensor& x, const at::Tensor& w, int64_t stride, int64_t pad,
                                                        bool need_dx);
}  // namespace lrbs::net::narrow
