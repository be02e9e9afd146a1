// Argument checks shared by every kernel entry point. The kernels index raw memory, so a wrong
// shape, dtype, device or a strided view would read or write out of bounds; PD_CHECK turns such
// misuse into a Python exception naming the argument instead.
#pragma once

#include <cstdint>
#include <vector>

#include "paddle/extension.h"

// `t` is a contiguous float32 CPU tensor with `rank` dimensions.
inline void CheckFloatTensor(const paddle::Tensor& t, const char* name, size_t rank) {
  PD_CHECK(t.is_cpu(), "ppdet native kernel: ", name, " must be a CPU tensor");
  PD_CHECK(t.dtype() == paddle::DataType::FLOAT32, "ppdet native kernel: ", name,
           " must be float32");
  PD_CHECK(t.shape().size() == rank, "ppdet native kernel: ", name, " must have ", rank,
           " dimensions, got ", t.shape().size());
  PD_CHECK(t.is_contiguous(), "ppdet native kernel: ", name, " must be contiguous");
}

// `t` is a contiguous float32 CPU vector of `size` values (one per channel).
inline void CheckChannelVector(const paddle::Tensor& t, const char* name, int64_t size) {
  CheckFloatTensor(t, name, 1);
  PD_CHECK(t.shape()[0] == size, "ppdet native kernel: ", name, " must have ", size,
           " values (one per channel), got ", t.shape()[0]);
}

// Activation codes the kernels know: 0 none, 1 relu, 2 leaky relu, 3 relu6.
inline void CheckActivation(int act) {
  PD_CHECK(act >= 0 && act <= 3, "ppdet native kernel: unknown activation code ", act);
}
