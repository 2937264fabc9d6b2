#pragma once
// The exact ternary convolution (methods.md 1.4-1.5) in integers: u8 (or s8) activation codes times
// ternary codes, summed in int32 within each group of N input channels, each group sum scaled by its
// alpha and accumulated in f32, then the layer's epilogue (input scale and folded batch norm, residual,
// ReLU, requantization to the next layer's input codes). Two kernels compute it with the same order of
// float operations: the AVX-512 VNNI one and its scalar twin, the reference the tests hold it to.
//
// Layouts: activations NHWC. The input is read from a buffer padded by the conv's padding on every side
// (filled with code 0) and with channels padded to a multiple of 4: [N, H + 2 padH, W + 2 padW, Cp].
// Outputs are [N, OH, OW, K].
#include <cstdint>
#include <vector>

#include "quant/QuantizedWeights.h"

namespace fgq::infer {

struct ConvGeometry {
  int64_t batch = 1, inC = 0, inH = 1, inW = 1, outC = 0, kH = 1, kW = 1;
  int64_t strideH = 1, strideW = 1, padH = 0, padW = 0;
  int64_t outH() const { return (inH + 2 * padH - kH) / strideH + 1; }
  int64_t outW() const { return (inW + 2 * padW - kW) / strideW + 1; }
  int64_t paddedC() const { return (inC + 3) / 4 * 4; }
  int64_t paddedH() const { return inH + 2 * padH; }
  int64_t paddedW() const { return inW + 2 * padW; }
};

inline constexpr int64_t kLanes = 16;  // output channels per vector: one int32 / f32 lane each

// Ternary weights packed once for the kernels. The reduction of one output value is a sequence of
// steps, each 4 consecutive input channels at one kernel position; a group of N channels is the run of
// steps that covers it (a step is repeated with other channels zeroed where a group boundary cuts a
// quad), and a segment is where one group's int32 sum ends and is scaled by its alpha.
struct PackedTernary {
  int64_t outC = 0, blocks = 0;            // blocks of kLanes output channels (the last one zero-padded)
  int64_t steps = 0, segments = 0;
  std::vector<int32_t> stepPosition;       // per step: kernel position r * kW + s
  std::vector<int32_t> stepChannel;        // per step: first of its 4 input channels
  std::vector<int32_t> segmentEnd;         // per segment: one past its last step
  std::vector<int8_t> codes;               // [block][step][kLanes][4]
  std::vector<float> alphas;               // [block][segment][kLanes]
  std::vector<int32_t> codeSums;           // [block][segment][kLanes]: sum of codes, for s8 inputs

  // Throws naming the layer for weights that are not one-scale ternary of the geometry's shape.
  PackedTernary(const QuantizedWeights& weights, const ConvGeometry& geometry, const std::string& layer);
};

// Per output channel y = acc * scale + shift (the input scale and the folded batch norm), then + residual,
// ReLU, and the outputs asked for: f32 values and/or codes round(y * codeInverse) clamped to [lo, hi]
// (multiplying by 1 / scale where the fake-quantized model divides by it: a vector division would cost
// more than the rest of the epilogue, and the two differ only where y / scale lands on a tie, within
// one rounding of the float).
struct Epilogue {
  const float* scale = nullptr;     // [K]
  const float* shift = nullptr;     // [K]
  const float* residual = nullptr;  // [N, OH, OW, K] or null
  bool relu = false;
  float* values = nullptr;          // [N, OH, OW, K] or null; may be the residual (each value read, then written)
  uint8_t* codes = nullptr;         // [N, OH, OW, K] (s8 stored as its byte when lo < 0) or null
  float codeInverse = 1, lo = 0, hi = 255;
};

// `input` holds u8 codes, or s8 codes when `signedInput`.
void ternaryConvScalar(const PackedTernary& weights, const ConvGeometry& geometry, const uint8_t* input, bool signedInput,
                       const Epilogue& epilogue);
void ternaryConvVnni(const PackedTernary& weights, const ConvGeometry& geometry, const uint8_t* input, bool signedInput,
                     const Epilogue& epilogue);
bool cpuHasVnni();
// The AMX kernel (infer/TernaryConvAmx.cpp), where the CPU has AMX-INT8 and the OS grants its tile
// state, for u8 inputs and groups of 16, 32 or 64 whole channels (or filter and layer groups over
// channels in such runs). It reads up to 16 input pixels past the end of the input: the buffer must
// have kInputSlack bytes after it.
bool cpuHasAmx();
bool amxFits(const PackedTernary& weights);
void ternaryConvAmx(const PackedTernary& weights, const ConvGeometry& geometry, const uint8_t* input, bool signedInput,
                    const Epilogue& epilogue);
inline constexpr int64_t kInputSlack = 16 * 4 * 4096;  // 16 pixels at stride 4 of 4,096 channels

}  // namespace fgq::infer
