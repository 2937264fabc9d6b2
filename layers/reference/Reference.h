#pragma once
// Plain-loop references for every oneDNN-backed op: the second opinion the tests compare the oneDNN
// kernels with, and the f64 path that gradcheck runs in double precision. Inputs in any layout (they are
// read through plain()); f32 or f64; outputs plain, in the input's dtype. Written for clarity, not speed.
#include "core/Tensor.h"
#include "layers/ops/Params.h"

namespace fgq::reference {

// x [N, C, H, W], w [K, C/groups, R, S], b [K] or undefined.
Tensor convForward(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dParams& p);
Tensor convBackwardData(const Tensor& gy, const Tensor& w, const Shape& xShape, const Conv2dParams& p);
Tensor convBackwardWeights(const Tensor& gy, const Tensor& x, const Shape& wShape, const Conv2dParams& p);
Tensor biasBackward(const Tensor& gy);  // sum of gy over every dimension but 1: [N, K, ...] -> [K]

// x [N, C], w [K, C], b [K] or undefined.
Tensor linearForward(const Tensor& x, const Tensor& w, const Tensor& b);
Tensor linearBackwardData(const Tensor& gy, const Tensor& w);
Tensor linearBackwardWeights(const Tensor& gy, const Tensor& x);

// Batch norm over N, H, W per channel. Training: statistics of the batch (variance biased, as
// normalization uses it); evaluation: the given mean and variance.
struct BatchNormResult {
  Tensor y, mean, variance;
};
BatchNormResult batchNormForward(const Tensor& x, const Tensor& gamma, const Tensor& beta, const Tensor* mean,
                                 const Tensor* variance, double eps);
struct BatchNormGrads {
  Tensor gx, gGamma, gBeta;
};
// `training` says whether mean and variance came from the batch (and so depend on x).
BatchNormGrads batchNormBackward(const Tensor& gy, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                                 const Tensor& variance, double eps, bool training);

enum class PoolKind { kMax, kAverage };  // average counts padding in the divisor, as PyTorch's default
Tensor poolForward(const Tensor& x, PoolKind kind, const Pool2dParams& p);
Tensor poolBackward(const Tensor& gy, const Tensor& x, PoolKind kind, const Pool2dParams& p);

Tensor reluForward(const Tensor& x);
Tensor reluBackward(const Tensor& gy, const Tensor& x);

}  // namespace fgq::reference
