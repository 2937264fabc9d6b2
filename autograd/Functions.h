#pragma once
// Elementwise, reduction and view ops on Variables, each with its gradient rule in Functions.cpp.
// Fused layer ops (conv, batch norm, pooling, ...) live in layers/ops.
#include "autograd/Variable.h"

namespace fgq {

Variable add(const Variable& a, const Variable& b);  // residual connections; same shapes
Variable sub(const Variable& a, const Variable& b);
Variable mul(const Variable& a, const Variable& b);
Variable scale(const Variable& a, double factor);
Variable sum(const Variable& a);   // scalar of shape [1]
Variable mean(const Variable& a);  // scalar of shape [1]
Variable reshape(const Variable& a, const Shape& shape);
Variable flatten(const Variable& a);  // [N, ...] -> [N, rest]
// Per channel of x [N, C, ...] (f32 or f64, any layout): [2, C], the mean over every other dimension,
// then the biased variance (what batch norm normalizes by).
Variable channelMoments(const Variable& x);

}  // namespace fgq
