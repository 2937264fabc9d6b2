#pragma once
// Calls f(float{}) or f(double{}) for an f32 or f64 dtype; throws for any other.
#include "core/Tensor.h"

namespace fgq::reference {

template <typename F>
void visitFloat(DType dtype, F&& f) {
  if (dtype == DType::kF32) return f(float{});
  FGQ_CHECK(dtype == DType::kF64, "reference kernels run in f32 or f64, found " << dtypeName(dtype));
  f(double{});
}

}  // namespace fgq::reference
