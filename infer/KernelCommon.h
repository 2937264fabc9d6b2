#pragma once
// What both ternary kernels share: where each step reads its input, and the epilogue of one value in
// the scalar order the vector kernel follows (its max and min are AVX-512's: the second operand when
// either is NaN).
#include <cmath>
#include <vector>

#include "core/Error.h"
#include "infer/TernaryConv.h"

namespace fgq::infer {

// Per step: the offset of its 4 input bytes from an output pixel's first input byte, in the padded input.
inline std::vector<int64_t> stepOffsets(const PackedTernary& w, const ConvGeometry& g) {
  std::vector<int64_t> offsets;
  for (int64_t step = 0; step < w.steps; ++step) {
    const int64_t p = w.stepPosition[static_cast<size_t>(step)];
    offsets.push_back(((p / g.kW) * g.paddedW() + p % g.kW) * g.paddedC() + w.stepChannel[static_cast<size_t>(step)]);
  }
  return offsets;
}

inline float vectorMax(float a, float b) { return a > b ? a : b; }
inline float vectorMin(float a, float b) { return a < b ? a : b; }

// Output channel k of the value at `index` (an [N, OH, OW, K] offset of channel 0), from its f32 sum.
inline void finishValue(const Epilogue& e, int64_t k, int64_t index, float acc) {
  float y = std::fma(acc, e.scale[k], e.shift[k]);
  if (e.residual) y += e.residual[index + k];
  if (e.relu) y = vectorMax(y, 0.0f);
  if (e.values) e.values[index + k] = y;
  if (e.codes) {
    const float q = vectorMin(vectorMax(std::nearbyint(y * e.codeInverse), e.lo), e.hi);
    e.codes[index + k] = static_cast<uint8_t>(static_cast<int32_t>(q));
  }
}

}  // namespace fgq::infer
