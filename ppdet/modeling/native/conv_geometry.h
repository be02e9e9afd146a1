// The geometry of an NCHW convolution, shared by the dense (conv2d.cc) and depthwise
// (depthwise.cc) kernels, built only from checked arguments.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "paddle/extension.h"
#include "tensor_checks.h"

struct ConvGeometry {
  int64_t n, c, h, w;  // input images, channels, rows, columns
  int64_t k, kh, kw;   // filters: k output channels of kh x kw taps
  int64_t ho, wo;      // output rows and columns
  int sh, sw, pt, pl, dh, dw;
  int64_t rows_per_strip = 0;  // dense kernel only: output rows per im2col strip
  int64_t ckk() const { return c * kh * kw; }
};

// x [N, C, H, W] and w [K, C, kh, kw] (dense) or [C, 1, kh, kw] (depthwise); strides and
// dilations [2], pads [top, bottom, left, right]. Refuses anything the loops could not index.
inline ConvGeometry MakeConvGeometry(const paddle::Tensor& x, const paddle::Tensor& w,
                                     const std::vector<int>& strides,
                                     const std::vector<int>& pads,
                                     const std::vector<int>& dilations, bool depthwise) {
  CheckFloatTensor(x, "X", 4);
  CheckFloatTensor(w, "W", 4);
  PD_CHECK(strides.size() == 2 && dilations.size() == 2 && pads.size() == 4,
           "ppdet native conv: strides and dilations need 2 values, pads 4");
  PD_CHECK(strides[0] > 0 && strides[1] > 0 && dilations[0] > 0 && dilations[1] > 0,
           "ppdet native conv: strides and dilations must be positive");
  PD_CHECK(pads[0] >= 0 && pads[1] >= 0 && pads[2] >= 0 && pads[3] >= 0,
           "ppdet native conv: pads must not be negative");
  const auto& xs = x.shape();
  const auto& ws = w.shape();
  ConvGeometry g;
  g.n = xs[0]; g.c = xs[1]; g.h = xs[2]; g.w = xs[3];
  g.k = ws[0]; g.kh = ws[2]; g.kw = ws[3];
  if (depthwise) {
    PD_CHECK(ws[0] == g.c && ws[1] == 1, "ppdet depthwise conv: W must be [", g.c,
             ", 1, kh, kw] for X with ", g.c, " channels, got [", ws[0], ", ", ws[1], ", ...]");
  } else {
    PD_CHECK(ws[1] == g.c, "ppdet conv: W has ", ws[1], " input channels, X has ", g.c);
  }
  PD_CHECK(g.kh > 0 && g.kw > 0 && g.k > 0, "ppdet native conv: W has an empty dimension");
  g.sh = strides[0]; g.sw = strides[1];
  g.pt = pads[0]; g.pl = pads[2];
  g.dh = dilations[0]; g.dw = dilations[1];
  g.ho = (g.h + pads[0] + pads[1] - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.wo = (g.w + pads[2] + pads[3] - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  PD_CHECK(g.ho > 0 && g.wo > 0, "ppdet native conv: a ", g.h, "x", g.w, " input is smaller ",
           "than the ", g.kh, "x", g.kw, " kernel (dilated) with this padding");
  return g;
}

// dy has the shape of the convolution's output.
inline void CheckOutputGrad(const paddle::Tensor& dy, const ConvGeometry& g) {
  CheckFloatTensor(dy, "DY", 4);
  const auto& s = dy.shape();
  PD_CHECK(s[0] == g.n && s[1] == g.k && s[2] == g.ho && s[3] == g.wo,
           "ppdet native conv: DY must be [", g.n, ", ", g.k, ", ", g.ho, ", ", g.wo, "], got [",
           s[0], ", ", s[1], ", ", s[2], ", ", s[3], "]");
}

// Output columns [lo, hi) of one output row whose input column ow*sw + off is inside the image.
inline void ValidCols(const ConvGeometry& g, int64_t off, int64_t* lo, int64_t* hi) {
  int64_t a = off >= 0 ? 0 : (-off + g.sw - 1) / g.sw;
  int64_t b = g.w - off <= 0 ? 0 : (g.w - off - 1) / g.sw + 1;
  *lo = std::min<int64_t>(a, g.wo);
  *hi = std::max<int64_t>(*lo, std::min<int64_t>(b, g.wo));
}
