#pragma once
// Weights as oneDNN's int8 convolution takes them: s8 codes in the weight's KCRS order and one scale
// per output channel. An int8 layer's are its own; a ternary layer's are folded: each group's alpha
// goes into the codes, w = round(t * alpha_g / s_k) with s_k = max_g alpha_g / 127, which rounds the
// ratios of the alphas within a filter to 7 bits (the price of plain int8 speed). A filter whose
// nonzero codes all share one alpha (one group per filter: a 1x1 conv over N channels or fewer, N =
// filter, or N = layer) keeps its ternary codes with that alpha as its scale: nothing is rounded, its
// int32 sum is the exact kernel's group sum, and oneDNN computes what the exact engine does.
#include <string>
#include <vector>

#include "quant/QuantizedWeights.h"

namespace fgq::infer {

struct Int8Weights {
  std::vector<int8_t> codes;
  std::vector<float> scales;
  bool exact = true;  // false where a ternary filter's alphas were folded into its codes
};

// Throws naming the layer for a format the engine does not run (two_scale ternary, pow2).
Int8Weights int8Weights(const QuantizedWeights& weights, const std::string& layer);
// Whether ternary weights have one group per filter (or one for the layer): one alpha per filter, which
// int8Weights keeps exact whatever the alphas.
bool oneGroupPerFilter(const QuantizedWeights& ternary);

}  // namespace fgq::infer
