// Dense NCHW convolution (groups = 1) on the CPU: im2col in strips of output rows whose
// unfolded input stays in cache, one BLAS sgemm per strip. The unfold and fold loops run in
// parallel over channels (OpenMP) on large maps, each thread owning whole channels; the GEMMs
// use the BLAS library's own threads.
//
// Paddle's CPU kernel unfolds a whole image before a single GEMM; on large maps with few
// channels that buffer is hundreds of MB and the GEMM streams it from memory. Its backward
// unfolds the whole image again for the filter gradient and folds a whole-image column
// buffer for the input gradient. Here every phase works strip by strip.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "affine_act.h"
#include "conv_geometry.h"
#include "paddle/extension.h"

extern "C" void cblas_sgemm(int layout, int trans_a, int trans_b, int m, int n, int k,
                            float alpha, const float* a, int lda, const float* b, int ldb,
                            float beta, float* c, int ldc);

namespace {

constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

// The dense kernel's geometry: checked arguments, and output rows per strip such that a strip's
// unfolded input takes about `strip_bytes`.
ConvGeometry StripGeometry(const paddle::Tensor& x, const paddle::Tensor& w,
                           const std::vector<int>& strides, const std::vector<int>& pads,
                           const std::vector<int>& dilations, int64_t strip_bytes) {
  PD_CHECK(strip_bytes > 0, "ppdet conv: strip_bytes must be positive, got ", strip_bytes);
  ConvGeometry g = MakeConvGeometry(x, w, strides, pads, dilations, /*depthwise=*/false);
  const int64_t row_bytes = g.ckk() * g.wo * 4;
  g.rows_per_strip = std::max<int64_t>(1, std::min<int64_t>(g.ho, strip_bytes / row_bytes));
  return g;
}

// cols[(c*kh+ki)*kw+kj][(oh-r0)*wo+ow] = x[c][oh*sh-pt+ki*dh][ow*sw-pl+kj*dw] (0 outside)
void Im2Col(const ConvGeometry& g, const float* x, int64_t r0, int64_t r1, float* cols) {
  const int64_t s = (r1 - r0) * g.wo;
  #pragma omp parallel for schedule(static) if (PPDET_PARALLEL(g.c * s))
  for (int64_t c = 0; c < g.c; ++c) {
    const float* xc = x + c * g.h * g.w;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        float* dst = cols + ((c * g.kh + ki) * g.kw + kj) * s;
        const int64_t off = kj * g.dw - g.pl;
        int64_t lo, hi;
        ValidCols(g, off, &lo, &hi);
        for (int64_t oh = r0; oh < r1; ++oh, dst += g.wo) {
          const int64_t ih = oh * g.sh - g.pt + ki * g.dh;
          if (ih < 0 || ih >= g.h) {
            std::memset(dst, 0, g.wo * sizeof(float));
            continue;
          }
          const float* src = xc + ih * g.w + off;
          std::memset(dst, 0, lo * sizeof(float));
          if (g.sw == 1) {
            std::memcpy(dst + lo, src + lo, (hi - lo) * sizeof(float));
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[ow * g.sw];
          }
          std::memset(dst + hi, 0, (g.wo - hi) * sizeof(float));
        }
      }
    }
  }
}

// dx[c][ih][iw] += cols[...] : the adjoint of Im2Col.
void Col2ImAdd(const ConvGeometry& g, const float* cols, int64_t r0, int64_t r1, float* dx) {
  const int64_t s = (r1 - r0) * g.wo;
  #pragma omp parallel for schedule(static) if (PPDET_PARALLEL(g.c * s))
  for (int64_t c = 0; c < g.c; ++c) {
    float* dc = dx + c * g.h * g.w;
    for (int ki = 0; ki < g.kh; ++ki) {
      for (int kj = 0; kj < g.kw; ++kj) {
        const float* src = cols + ((c * g.kh + ki) * g.kw + kj) * s;
        const int64_t off = kj * g.dw - g.pl;
        int64_t lo, hi;
        ValidCols(g, off, &lo, &hi);
        for (int64_t oh = r0; oh < r1; ++oh, src += g.wo) {
          const int64_t ih = oh * g.sh - g.pt + ki * g.dh;
          if (ih < 0 || ih >= g.h) continue;
          float* dst = dc + ih * g.w + off;
          if (g.sw == 1) {
#pragma omp simd
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow] += src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) dst[ow * g.sw] += src[ow];
          }
        }
      }
    }
  }
}

bool IsPointwise(const ConvGeometry& g) {
  return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 &&
         g.ho == g.h && g.wo == g.w;
}

// Calls body(n, r0, r1) for every image n and strip [r0, r1) of output rows. A pointwise conv
// is one strip per image: its input is its own im2col.
template <typename Body>
void ForEachStrip(const ConvGeometry& g, Body body) {
  const int64_t rows = IsPointwise(g) ? g.ho : g.rows_per_strip;
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t r0 = 0; r0 < g.ho; r0 += rows) body(n, r0, std::min(g.ho, r0 + rows));
  }
}

// The strip's im2col matrix [ckk x (r1 - r0) * wo]: unfolded into `cols`, or the image itself.
const float* Unfold(const ConvGeometry& g, const float* xn, int64_t r0, int64_t r1, float* cols) {
  if (IsPointwise(g)) return xn;
  Im2Col(g, xn, r0, r1, cols);
  return cols;
}

std::vector<float> StripBuffer(const ConvGeometry& g) {
  return std::vector<float>(IsPointwise(g) ? 0 : g.ckk() * g.rows_per_strip * g.wo);
}

}  // namespace

namespace {

// Y = W * im2col(X), strip by strip; epilogue(k, row, len) then runs on each output channel's
// part of the strip while it is still in cache.
template <typename Epilogue>
paddle::Tensor ConvStrips(const ConvGeometry& g, const paddle::Tensor& x,
                          const paddle::Tensor& w, Epilogue epilogue) {
  auto y = paddle::empty({g.n, g.k, g.ho, g.wo}, paddle::DataType::FLOAT32, x.place());
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  float* yp = y.data<float>();
  const int64_t hw = g.ho * g.wo, ckk = g.ckk();
  std::vector<float> cols = StripBuffer(g);
  ForEachStrip(g, [&](int64_t n, int64_t r0, int64_t r1) {
    const int64_t s = (r1 - r0) * g.wo;
    const float* b = Unfold(g, xp + n * g.c * g.h * g.w, r0, r1, cols.data());
    float* out = yp + n * g.k * hw + r0 * g.wo;
    cblas_sgemm(kRowMajor, kNoTrans, kNoTrans, g.k, s, ckk, 1.f, wp, ckk, b, s, 0.f, out, hw);
#pragma omp parallel for schedule(static) if (PPDET_PARALLEL(g.k * s))
    for (int64_t k = 0; k < g.k; ++k) epilogue(k, out + k * hw, s);
  });
  return y;
}

}  // namespace

std::vector<paddle::Tensor> StripConvForward(const paddle::Tensor& x, const paddle::Tensor& w,
                                             const std::vector<int>& strides,
                                             const std::vector<int>& pads,
                                             const std::vector<int>& dilations,
                                             int64_t strip_bytes) {
  const ConvGeometry g = StripGeometry(x, w, strides, pads, dilations, strip_bytes);
  return {ConvStrips(g, x, w, [](int64_t, float*, int64_t) {})};
}

// Inference: act(BatchNorm(W * im2col(X))) with running statistics, each strip's output
// normalised while it is still in cache instead of in a second pass over the whole map.
std::vector<paddle::Tensor> StripConvBnActInfer(
    const paddle::Tensor& x, const paddle::Tensor& w, const paddle::Tensor& gamma,
    const paddle::Tensor& beta, const paddle::Tensor& mean, const paddle::Tensor& var,
    const std::vector<int>& strides, const std::vector<int>& pads,
    const std::vector<int>& dilations, int64_t strip_bytes, float epsilon, int act,
    float alpha) {
  const ConvGeometry g = StripGeometry(x, w, strides, pads, dilations, strip_bytes);
  CheckChannelVector(gamma, "Gamma", g.k);
  CheckChannelVector(beta, "Beta", g.k);
  CheckChannelVector(mean, "Mean", g.k);
  CheckChannelVector(var, "Var", g.k);
  CheckActivation(act);
  const float* gp = gamma.data<float>();
  const float* bp = beta.data<float>();
  const float* mp = mean.data<float>();
  const float* vp = var.data<float>();
  std::vector<float> scale(g.k);
  for (int64_t k = 0; k < g.k; ++k) scale[k] = gp[k] / std::sqrt(vp[k] + epsilon);
  return {ConvStrips(g, x, w, [&](int64_t k, float* row, int64_t len) {
    AffineActRow(row, len, mp[k], scale[k], bp[k], act, alpha, row);
  })};
}

// dW = sum over images and strips of dY_strip * cols_strip^T
std::vector<paddle::Tensor> StripConvGradFilter(const paddle::Tensor& x, const paddle::Tensor& w,
                                                const paddle::Tensor& dy,
                                                const std::vector<int>& strides,
                                                const std::vector<int>& pads,
                                                const std::vector<int>& dilations,
                                                int64_t strip_bytes) {
  const ConvGeometry g = StripGeometry(x, w, strides, pads, dilations, strip_bytes);
  CheckOutputGrad(dy, g);
  auto dw = paddle::empty(w.shape(), paddle::DataType::FLOAT32, x.place());
  const float* xp = x.data<float>();
  const float* dyp = dy.data<float>();
  float* dwp = dw.data<float>();
  const int64_t hw = g.ho * g.wo, ckk = g.ckk();
  std::memset(dwp, 0, g.k * ckk * sizeof(float));
  std::vector<float> cols = StripBuffer(g);
  ForEachStrip(g, [&](int64_t n, int64_t r0, int64_t r1) {
    const int64_t s = (r1 - r0) * g.wo;
    const float* b = Unfold(g, xp + n * g.c * g.h * g.w, r0, r1, cols.data());
    cblas_sgemm(kRowMajor, kNoTrans, kTrans, g.k, ckk, s, 1.f, dyp + n * g.k * hw + r0 * g.wo,
                hw, b, s, 1.f, dwp, ckk);
  });
  return {dw};
}

// dX = fold(W^T * dY), strip by strip
std::vector<paddle::Tensor> StripConvGradInput(const paddle::Tensor& x, const paddle::Tensor& w,
                                               const paddle::Tensor& dy,
                                               const std::vector<int>& strides,
                                               const std::vector<int>& pads,
                                               const std::vector<int>& dilations,
                                               int64_t strip_bytes) {
  const ConvGeometry g = StripGeometry(x, w, strides, pads, dilations, strip_bytes);
  CheckOutputGrad(dy, g);
  auto dx = paddle::empty(x.shape(), paddle::DataType::FLOAT32, x.place());
  const float* wp = w.data<float>();
  const float* dyp = dy.data<float>();
  float* dxp = dx.data<float>();
  const int64_t hw = g.ho * g.wo, ckk = g.ckk(), chw = g.c * g.h * g.w;
  const bool pointwise = IsPointwise(g);
  if (!pointwise) std::memset(dxp, 0, g.n * chw * sizeof(float));
  std::vector<float> cols = StripBuffer(g);
  ForEachStrip(g, [&](int64_t n, int64_t r0, int64_t r1) {
    const int64_t s = (r1 - r0) * g.wo;
    float* out = pointwise ? dxp + n * chw : cols.data();
    cblas_sgemm(kRowMajor, kTrans, kNoTrans, ckk, s, g.k, 1.f, wp, ckk,
                dyp + n * g.k * hw + r0 * g.wo, hw, 0.f, out, s);
    if (!pointwise) Col2ImAdd(g, cols.data(), r0, r1, dxp + n * chw);
  });
  return {dx};
}

#define PPDET_CONV_ATTRS                                                              \
  {"strides: std::vector<int>", "pads: std::vector<int>", "dilations: std::vector<int>", \
   "strip_bytes: int64_t"}

PD_BUILD_OP(ppdet_strip_conv)
    .Inputs({"X", "W"})
    .Outputs({"Y"})
    .Attrs(PPDET_CONV_ATTRS)
    .SetKernelFn(PD_KERNEL(StripConvForward));

PD_BUILD_OP(ppdet_strip_conv_bn_act_infer)
    .Inputs({"X", "W", "Gamma", "Beta", "Mean", "Var"})
    .Outputs({"Y"})
    .Attrs({"strides: std::vector<int>", "pads: std::vector<int>",
            "dilations: std::vector<int>", "strip_bytes: int64_t", "epsilon: float", "act: int",
            "alpha: float"})
    .SetKernelFn(PD_KERNEL(StripConvBnActInfer));

PD_BUILD_OP(ppdet_strip_conv_grad_filter)
    .Inputs({"X", "W", "DY"})
    .Outputs({"DW"})
    .Attrs(PPDET_CONV_ATTRS)
    .SetKernelFn(PD_KERNEL(StripConvGradFilter));

PD_BUILD_OP(ppdet_strip_conv_grad_input)
    .Inputs({"X", "W", "DY"})
    .Outputs({"DX"})
    .Attrs(PPDET_CONV_ATTRS)
    .SetKernelFn(PD_KERNEL(StripConvGradInput));
