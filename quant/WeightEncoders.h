#pragma once
// From a layer's FP32 weight to codes and scales in one of the formats of QuantizedWeights.h.
#include "quant/QuantizedWeights.h"

namespace fgq {

// Ternary groups solved in parallel (OpenMP over groups).
QuantizedWeights ternarize(const Tensor& weight, const GroupSpec& groups, TernarySolver solver);
// Symmetric int8 per output channel: scale = max|w_k| / 127.
QuantizedWeights quantizeInt8PerChannel(const Tensor& weight);

}  // namespace fgq
