#pragma once
// The weight a quantized layer computes with: ternary groups (section 1.2-1.3) or int8 per output
// channel, solved from the layer's FP32 weight. In training (gradients on) the groups are re-solved
// from the current shadow weight every pass and the gradient goes straight through to it (section 1.7);
// in evaluation the solution is computed once and reused until a training pass may have moved the weight.
#include <optional>

#include "layers/Module.h"
#include "quant/WeightEncoders.h"

namespace fgq {

struct WeightFormatChoice {
  bool ternary = true;  // else int8 per output channel
  GroupSpec groups;
  TernarySolver solver = TernarySolver::kExact;
  std::string str() const;  // "ternary N=4 exact" or "int8 per channel"
};

class WeightQuantizer : public Module {
 public:
  explicit WeightQuantizer(WeightFormatChoice choice) : choice_(std::move(choice)) {}
  Variable forward(const Variable& weight) override;
  const WeightFormatChoice& choice() const { return choice_; }
  // The quantized form of `weight` (cached as in evaluation).
  const QuantizedWeights& quantized(const Tensor& weight);
  // Weights of this quantizer's format for a weight of `shape`, without codes or scales (to fill from a file).
  QuantizedWeights emptyQuantized(const Shape& shape) const;
  void setQuantized(QuantizedWeights weights);  // from a stored model

 private:
  QuantizedWeights solve(const Tensor& weight) const;
  WeightFormatChoice choice_;
  std::optional<QuantizedWeights> cached_;
  Tensor cachedValues_;
  bool stale_ = true;
};

}  // namespace fgq
