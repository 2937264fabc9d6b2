#pragma once
// A layer's quantized weights as the tensors of a model file, the same for every format:
//   "<layer>.weight.codes"            U8, the packed code stream
//   "<layer>.weight.scales"           F32, scaleCount of the format
//   "<layer>.weight.negative_scales"  F32, ternary two_scale only
//   "<layer>.weight.zero_points"      S32, pow2 only
#include <map>
#include <string>

#include "quant/QuantizedWeights.h"

namespace fgq {

void storeWeightTensors(const std::string& layer, const QuantizedWeights& weights, std::map<std::string, Tensor>& tensors);

// Reads them into `weights`, whose format, shape, bits, groups and solver are set, and erases them
// from `tensors`. Throws naming `path` and the tensor for one missing, of another dtype or count, or
// holding an invalid code.
void takeWeightTensors(const std::string& path, const std::string& layer, std::map<std::string, Tensor>& tensors, QuantizedWeights& weights);

}  // namespace fgq
