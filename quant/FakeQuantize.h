#pragma once
// Uniform fake quantization as an autograd op: y = scale * clamp(round(x / scale), lo, hi), rounding
// half to even. Backward is the straight-through estimator: the gradient passes where the rounded
// value round(x/scale) lies in [lo, hi] and is zero where it was clipped (PyTorch's fake_quantize). Works on any layout (elementwise over the storage).
#include "autograd/Variable.h"

namespace fgq {

Variable fakeQuantize(const Variable& x, float scale, float lo, float hi);

// The integer codes fakeQuantize would multiply by `scale` (plain, f32 values that are integers).
Tensor quantizeCodes(const Tensor& x, float scale, float lo, float hi);

}  // namespace fgq
