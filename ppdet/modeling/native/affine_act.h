// Per-channel affine transform and activation of one contiguous run of a map, shared by the
// BatchNorm kernel and the convolution's fused inference epilogue so both give the same bits.
#pragma once

#include <cstdint>

// Parallel loops only above this many elements: below it the fork/join costs more than it
// saves. Each thread owns whole channels, so results do not depend on the thread count.
#define PPDET_PARALLEL(elements) ((elements) >= (1 << 16))

// act: 0 none, 1 relu, 2 leaky relu (slope alpha), 3 relu6.
// y[k] = act((x[k] - mean) * a + b); centred first, so no cancellation when the mean is large
// against the spread. y may be x.
inline void AffineActRow(const float* x, int64_t len, float mean, float a, float b, int act,
                         float alpha, float* y) {
  switch (act) {
    case 1:
#pragma omp simd
      for (int64_t k = 0; k < len; ++k) { float z = (x[k] - mean) * a + b; y[k] = z > 0.f ? z : 0.f; }
      break;
    case 2:
#pragma omp simd
      for (int64_t k = 0; k < len; ++k) { float z = (x[k] - mean) * a + b; y[k] = z > 0.f ? z : z * alpha; }
      break;
    case 3:
#pragma omp simd
      for (int64_t k = 0; k < len; ++k) {
        float z = (x[k] - mean) * a + b;
        y[k] = z > 0.f ? (z < 6.f ? z : 6.f) : 0.f;
      }
      break;
    default:
#pragma omp simd
      for (int64_t k = 0; k < len; ++k) y[k] = (x[k] - mean) * a + b;
  }
}
