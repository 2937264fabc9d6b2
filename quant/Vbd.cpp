#include "quant/Vbd.h"

#include "core/TensorOps.h"
#include "quant/Fgq.h"
#include "quant/ValueRange.h"

namespace fgq {
namespace {

// A transparent module that records the range of what passes through it.
struct RangeObserver : Module {
  ValueRange range;
  Variable forward(const Variable& x) override {
    range.observe(x.tensor());
    return x;
  }
};

// The range of every weighted layer's input over the batches, in layer order.
std::vector<ValueRange> inputRanges(Module& model, const std::vector<Tensor>& batches) {
  const auto layers = weightedLayers(model);
  std::vector<std::shared_ptr<RangeObserver>> observers;
  for (auto& [name, layer] : layers) {
    observers.push_back(std::make_shared<RangeObserver>());
    layer->replaceInputQuantizer(observers.back());
  }
  model.eval();
  {
    NoGradGuard noGrad;
    for (const Tensor& batch : batches) model(Variable(batch));
  }
  std::vector<ValueRange> ranges;
  for (const auto& observer : observers) ranges.push_back(observer->range);
  return ranges;
}

}  // namespace

void installVbd(Module& model, const std::vector<Tensor>& batches, const VbdOptions& options) {
  FGQ_CHECK(!batches.empty(), "VBD needs at least one calibration batch");
  const std::vector<ValueRange> ranges = inputRanges(model, batches);
  const auto layers = weightedLayers(model);
  for (size_t i = 0; i < layers.size(); ++i) {
    WeightedLayer* layer = layers[i].second;
    const bool first = i == 0, last = i + 1 == layers.size();
    const double inputBits = first ? options.edgeBits : options.initialBits;
    const bool nonNegative = ranges[i].min >= 0;
    // An unsigned window [0, 2^B - 1] covers max|x| with one exponent step less than a signed one.
    const double inputExponent = initialExponent(ranges[i].maxAbs, nonNegative ? inputBits + 1 : inputBits);
    layer->replaceInputQuantizer(std::make_shared<VbdQuantizer>(inputBits, inputExponent, nonNegative));
    const double weightBits = last ? options.edgeBits : options.initialBits;
    layer->setWeightQuantizer(std::make_shared<VbdQuantizer>(weightBits, initialExponent(maxAbs(layer->weight.tensor()), weightBits), false));
  }
}

}  // namespace fgq
