#pragma once
// A layer's weights in a low-precision format: integer codes (one per weight, in the weight's own
// KCRS order) and float scales (per ternary group, or per output channel for int8). dequantize() gives
// the float tensor the fake-quantized network computes with; the codes and scales are what is stored.
#include <string>
#include <vector>

#include "core/Tensor.h"
#include "quant/GroupSpec.h"
#include "quant/TernarySolver.h"
#include "quant/WeightFormats.h"

namespace fgq {

struct QuantizedWeights {
  const WeightFormat* format = nullptr;
  Shape shape;
  GroupSpec groups;          // ternary only
  TernarySolver solver = TernarySolver::kExact;
  std::vector<int8_t> codes;
  std::vector<float> scales;          // per group (ternary: the positive side) or per output channel
  std::vector<float> negativeScales;  // ternary two_scale only: the negative side

  Tensor dequantize() const;
  int64_t storedBytes() const;  // packed codes plus scales
};

// Ternary groups solved in parallel (OpenMP over groups).
QuantizedWeights ternarize(const Tensor& weight, const GroupSpec& groups, TernarySolver solver);
// Symmetric int8 per output channel: scale = max|w_k| / 127.
QuantizedWeights quantizeInt8PerChannel(const Tensor& weight);

}  // namespace fgq
