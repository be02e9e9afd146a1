// Depthwise convolution (NCHW, one filter per channel, float32) on the CPU, in parallel
// (OpenMP) over independent planes or channels on large maps; each is one thread's work, so
// results do not depend on the thread count.
//
// Paddle's CPU kernel runs depthwise convolutions as one im2col and one tiny GEMM per
// channel, and its backward repeats that per channel for both gradients; a direct loop over
// output rows keeps each row in L1 and does only the multiply-adds.
#include <algorithm>
#include <cstring>
#include <vector>

#include "affine_act.h"
#include "conv_geometry.h"
#include "paddle/extension.h"

std::vector<paddle::Tensor> DepthwiseForward(const paddle::Tensor& x, const paddle::Tensor& w,
                                             const std::vector<int>& strides,
                                             const std::vector<int>& pads,
                                             const std::vector<int>& dilations) {
  const ConvGeometry g = MakeConvGeometry(x, w, strides, pads, dilations, /*depthwise=*/true);
  auto y = paddle::empty({g.n, g.c, g.ho, g.wo}, paddle::DataType::FLOAT32, x.place());
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  float* yp = y.data<float>();
  #pragma omp parallel for schedule(static) if (PPDET_PARALLEL(g.n * g.c * g.h * g.w))
  for (int64_t p = 0; p < g.n * g.c; ++p) {
    const float* xc = xp + p * g.h * g.w;
    const float* wc = wp + (p % g.c) * g.kh * g.kw;
    float* yc = yp + p * g.ho * g.wo;
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      float* yr = yc + oh * g.wo;
      std::memset(yr, 0, g.wo * sizeof(float));
      for (int ki = 0; ki < g.kh; ++ki) {
        const int64_t ih = oh * g.sh - g.pt + ki * g.dh;
        if (ih < 0 || ih >= g.h) continue;
        const float* xr = xc + ih * g.w;
        for (int kj = 0; kj < g.kw; ++kj) {
          const float wv = wc[ki * g.kw + kj];
          const int64_t off = kj * g.dw - g.pl;
          int64_t lo, hi;
          ValidCols(g, off, &lo, &hi);
          const float* src = xr + off;
          if (g.sw == 1) {
#pragma omp simd
            for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * src[ow];
          } else {
            const int sw = g.sw;
#pragma omp simd
            for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * src[ow * sw];
          }
        }
      }
    }
  }
  return {y};
}

std::vector<paddle::Tensor> DepthwiseGradInput(const paddle::Tensor& x, const paddle::Tensor& w,
                                               const paddle::Tensor& dy,
                                               const std::vector<int>& strides,
                                               const std::vector<int>& pads,
                                               const std::vector<int>& dilations) {
  const ConvGeometry g = MakeConvGeometry(x, w, strides, pads, dilations, /*depthwise=*/true);
  CheckOutputGrad(dy, g);
  auto dx = paddle::empty(x.shape(), paddle::DataType::FLOAT32, x.place());
  const float* wp = w.data<float>();
  const float* dyp = dy.data<float>();
  float* dxp = dx.data<float>();
  std::memset(dxp, 0, g.n * g.c * g.h * g.w * sizeof(float));
  #pragma omp parallel for schedule(static) if (PPDET_PARALLEL(g.n * g.c * g.h * g.w))
  for (int64_t p = 0; p < g.n * g.c; ++p) {
    float* dxc = dxp + p * g.h * g.w;
    const float* wc = wp + (p % g.c) * g.kh * g.kw;
    const float* dyc = dyp + p * g.ho * g.wo;
    for (int64_t oh = 0; oh < g.ho; ++oh) {
      const float* dr = dyc + oh * g.wo;
      for (int ki = 0; ki < g.kh; ++ki) {
        const int64_t ih = oh * g.sh - g.pt + ki * g.dh;
        if (ih < 0 || ih >= g.h) continue;
        float* xr = dxc + ih * g.w;
        for (int kj = 0; kj < g.kw; ++kj) {
          const float wv = wc[ki * g.kw + kj];
          const int64_t off = kj * g.dw - g.pl;
          int64_t lo, hi;
          ValidCols(g, off, &lo, &hi);
          float* dst = xr + off;
          if (g.sw == 1) {
#pragma omp simd
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += wv * dr[ow];
          } else {
            const int sw = g.sw;
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * sw] += wv * dr[ow];
          }
        }
      }
    }
  }
  return {dx};
}

std::vector<paddle::Tensor> DepthwiseGradFilter(const paddle::Tensor& x, const paddle::Tensor& w,
                                                const paddle::Tensor& dy,
                                                const std::vector<int>& strides,
                                                const std::vector<int>& pads,
                                                const std::vector<int>& dilations) {
  const ConvGeometry g = MakeConvGeometry(x, w, strides, pads, dilations, /*depthwise=*/true);
  CheckOutputGrad(dy, g);
  auto dw = paddle::empty(w.shape(), paddle::DataType::FLOAT32, x.place());
  const float* xp = x.data<float>();
  const float* dyp = dy.data<float>();
  const int64_t kk = g.kh * g.kw;
  std::vector<double> acc(g.c * kk, 0.0);
#pragma omp parallel for schedule(static) if (PPDET_PARALLEL(g.n * g.c * g.h * g.w))
  for (int64_t c = 0; c < g.c; ++c) {
   for (int64_t n = 0; n < g.n; ++n) {
    const int64_t p = n * g.c + c;
    const float* xc = xp + p * g.h * g.w;
    const float* dyc = dyp + p * g.ho * g.wo;
    double* ac = acc.data() + c * kk;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        const int64_t off = kj * g.dw - g.pl;
        int64_t lo, hi;
        ValidCols(g, off, &lo, &hi);
        float total = 0.f;
        for (int64_t oh = 0; oh < g.ho; ++oh) {
          const int64_t ih = oh * g.sh - g.pt + ki * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          const float* src = xc + ih * g.w + off;
          const float* dr = dyc + oh * g.wo;
          float s = 0.f;
          if (g.sw == 1) {
#pragma omp simd reduction(+ : s)
            for (int64_t ow = lo; ow < hi; ++ow) s += dr[ow] * src[ow];
          } else {
            const int sw = g.sw;
#pragma omp simd reduction(+ : s)
            for (int64_t ow = lo; ow < hi; ++ow) s += dr[ow] * src[ow * sw];
          }
          total += s;
        }
        ac[ki * g.kw + kj] += total;
      }
    }
   }
  }
  float* dwp = dw.data<float>();
  for (int64_t i = 0; i < g.c * kk; ++i) dwp[i] = static_cast<float>(acc[i]);
  return {dw};
}

#define PPDET_DW_ATTRS \
  {"strides: std::vector<int>", "pads: std::vector<int>", "dilations: std::vector<int>"}

PD_BUILD_OP(ppdet_depthwise_conv)
    .Inputs({"X", "W"})
    .Outputs({"Y"})
    .Attrs(PPDET_DW_ATTRS)
    .SetKernelFn(PD_KERNEL(DepthwiseForward));

PD_BUILD_OP(ppdet_depthwise_conv_grad_input)
    .Inputs({"X", "W", "DY"})
    .Outputs({"DX"})
    .Attrs(PPDET_DW_ATTRS)
    .SetKernelFn(PD_KERNEL(DepthwiseGradInput));

PD_BUILD_OP(ppdet_depthwise_conv_grad_filter)
    .Inputs({"X", "W", "DY"})
    .Outputs({"DW"})
    .Attrs(PPDET_DW_ATTRS)
    .SetKernelFn(PD_KERNEL(DepthwiseGradFilter));
