#pragma once
// A layer's weights in a low-precision format, and the one table of formats (after ggml's type traits):
// each format says how wide its codes are, how many scales it keeps, and how codes and scales decode to
// the float weight the fake-quantized network computes with.
//   ternary: 2-bit codes -1, 0, +1 and one f32 scale per group (two_scale: a second one for the negative
//            side); groups of N input channels at one (k, r, s), per filter or per layer (GroupSpec)
//   int8:    8-bit codes -127..127 and one f32 scale per output channel (symmetric)
//   pow2:    B-bit codes (B per layer, 0 for a pruned layer) with, per output channel, a power-of-two
//            scale 2^E and an integer zero point z: w = (code + z) * 2^E (VBD's export, methods.md 2.5)
// Codes are stored as a little-endian stream of B-bit two's-complement fields: ternary's fields read
// 00 = 0, 01 = +1, 11 = -1. The stream is not cut into fixed blocks, since a group's length depends on
// the layer (ggml's per-block structs would fix it).
#include <cstdint>
#include <vector>

#include "core/Tensor.h"
#include "quant/GroupSpec.h"
#include "quant/TernarySolver.h"

namespace fgq {

struct QuantizedWeights;

enum class WeightFormatId { kTernary, kInt8, kPow2 };

struct WeightFormat {
  WeightFormatId id;
  const char* name;
  int codeBits;          // the width of every code, or 0 when each layer has its own (pow2)
  bool symmetricCodes;   // the most negative field (ternary 10, int8 -128) is not a valid code
  int64_t (*scaleCount)(const QuantizedWeights& weights);
  void (*dequantize)(const QuantizedWeights& weights, float* out);
};

const WeightFormat& weightFormat(WeightFormatId id);

struct QuantizedWeights {
  const WeightFormat* format = nullptr;
  Shape shape;
  int bits = 0;                                  // code width (a pow2 layer's B; 0: pruned, all zero)
  GroupSpec groups;                              // ternary only
  TernarySolver solver = TernarySolver::kExact;  // ternary only
  std::vector<int16_t> codes;                    // one per weight, in the weight's KCRS order
  std::vector<float> scales;                     // per group (ternary: the positive side) or per output channel
  std::vector<float> negativeScales;             // ternary two_scale only: the negative side
  std::vector<int32_t> zeroPoints;               // pow2 only: per output channel

  Tensor dequantize() const;
  int64_t storedBytes() const;  // packed codes plus scales and zero points
  std::vector<uint8_t> packedCodes() const;
  // Fills `codes` from a packed stream; throws for a wrong byte count or an invalid field.
  void unpackCodes(const std::vector<uint8_t>& bytes);
};

}  // namespace fgq
