#include "quant/WeightQuantizer.h"

namespace fgq {

std::string WeightFormatChoice::str() const {
  return ternary ? "ternary N=" + groups.str() + " " + ternarySolverName(solver) : "int8 per channel";
}

QuantizedWeights WeightQuantizer::solve(const Tensor& weight) const {
  return choice_.ternary ? ternarize(weight, choice_.groups, choice_.solver) : quantizeInt8PerChannel(weight);
}

const QuantizedWeights& WeightQuantizer::quantized(const Tensor& weight) {
  if (stale_ || !cached_) {
    cached_ = solve(weight);
    cachedValues_ = Tensor();
    stale_ = false;
  }
  return *cached_;
}

QuantizedWeights WeightQuantizer::emptyQuantized(const Shape& shape) const {
  QuantizedWeights w;
  w.format = &weightFormat(choice_.ternary ? WeightFormatId::kTernary : WeightFormatId::kInt8);
  w.bits = w.format->codeBits;
  w.shape = shape;
  w.groups = choice_.groups;
  w.solver = choice_.solver;
  return w;
}

void WeightQuantizer::setQuantized(QuantizedWeights weights) {
  cachedValues_ = Tensor();
  cached_ = std::move(weights);
  stale_ = false;
}

Variable WeightQuantizer::forward(const Variable& weight) {
  if (gradEnabled() && weight.requiresGrad()) {
    stale_ = true;  // the optimizer will move the shadow weight after this pass
    return Variable(solve(weight.tensor()).dequantize(), {weight},
                    [](std::vector<Variable>& in, const Tensor& g) { in[0].addGrad(g); });
  }
  quantized(weight.tensor());
  if (!cachedValues_.defined()) cachedValues_ = cached_->dequantize();  // on first use: the integer engine never asks
  return Variable(cachedValues_);
}

}  // namespace fgq
