#pragma once
// fgq models as ONNX files (opset 21, built with ONNX's protobuf types), for onnxruntime and every tool
// that reads ONNX. The graph is the model's own (layers/Graph.h), batch norm a node of its own. What each
// layer's quantizers become:
//   input quantizer (8-bit or fewer): QuantizeLinear -> Clip (below 8 bits: the codes' range in a byte)
//     -> DequantizeLinear, with the quantizer's scale and zero point 0 (u8, or s8 where it is signed);
//   int8 weights: int8 codes -> DequantizeLinear with one scale per output channel (axis 0);
//   ternary weights, exact: the codes as int8 -> DequantizeLinear with one scale per group: groups of N
//     channels as opset 21's blocked quantization (axis 1, block_size N, scales [K, C/N, R, S]), filter
//     groups per output channel, a layer group per tensor;
//   VBD weights (a loaded VBD export): its B-bit codes (int8, or int16 where they or the zero points need
//     it) -> DequantizeLinear with the scale 2^E and the zero point of each output channel;
//   ternary weights, folded: int8 codes with one scale per output channel, as the integer engine's
//     folded form runs them (infer/Int8Weights.h); in this form the batch norm after each quantized conv
//     is folded into its weight scales and bias, the pattern onnxruntime fuses into QLinearConv.
// The model (in evaluation) and the file's graph name its layers as the model does. Debian's ONNX 1.12 checker knows opsets up to 17 only; onnxruntime is the judge (docs/onnx.md).
#include <onnx/onnx_pb.h>

#include <string>

#include "core/Shape.h"
#include "layers/Module.h"

namespace fgq {

enum class TernaryExport { kExact, kFolded };

// The model (in evaluation) for images of `imageShape` ([C, H, W]), inputs "images" [batch, C, H, W]
// and output "logits". Throws naming the layer for what ONNX cannot carry (two_scale ternary groups).
onnx::ModelProto exportOnnx(const Module& model, const Shape& imageShape, TernaryExport ternary);
// Writes it through a temporary file and a rename.
void writeOnnx(const onnx::ModelProto& model, const std::string& path);

}  // namespace fgq
