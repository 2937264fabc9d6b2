#include "quant/Fgq.h"

#include <fnmatch.h>

namespace fgq {

std::vector<std::pair<std::string, WeightedLayer*>> weightedLayers(const Module& model) {
  std::vector<std::pair<std::string, WeightedLayer*>> layers;
  for (auto& [name, module] : model.namedModules())
    if (auto* layer = dynamic_cast<WeightedLayer*>(module)) layers.emplace_back(name, layer);
  return layers;
}

std::vector<std::string> matchLayers(const Module& model, const std::vector<std::string>& patterns) {
  const auto layers = weightedLayers(model);
  std::vector<std::string> matched;
  for (const std::string& pattern : patterns) {
    bool any = false;
    for (size_t i = 0; i < layers.size(); ++i) {
      const auto& [name, layer] = layers[i];
      bool hit;
      if (pattern == "@first") {
        hit = dynamic_cast<Conv2d*>(layer) && std::none_of(layers.begin(), layers.begin() + static_cast<int64_t>(i),
                                                           [](auto& l) { return dynamic_cast<Conv2d*>(l.second) != nullptr; });
      } else if (pattern == "@last") {
        hit = dynamic_cast<Linear*>(layer) && std::none_of(layers.begin() + static_cast<int64_t>(i) + 1, layers.end(),
                                                           [](auto& l) { return dynamic_cast<Linear*>(l.second) != nullptr; });
      } else {
        hit = fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
      }
      if (hit && std::find(matched.begin(), matched.end(), name) == matched.end()) matched.push_back(name);
      any = any || hit;
    }
    if (!any) {
      std::string names;
      for (const auto& [name, layer] : layers) names += (names.empty() ? "" : ", ") + name;
      throw Error("keep_layers pattern '" + pattern + "' matches no conv or linear layer (layers: " + names + ")");
    }
  }
  return matched;
}

std::vector<std::string> installFgq(Module& model, const FgqOptions& options) {
  const std::vector<std::string> kept = matchLayers(model, options.keepLayers);
  for (auto& [name, layer] : weightedLayers(model)) {
    const bool keep = std::find(kept.begin(), kept.end(), name) != kept.end();
    layer->setWeightQuantizer(std::make_shared<WeightQuantizer>(WeightFormatChoice{!keep, options.groups, options.solver}));
    if (options.activationBits > 0) layer->setInputQuantizer(std::make_shared<ActivationQuantizer>(options.activationBits));
  }
  return kept;
}

void calibrateActivations(Module& model, const std::vector<Tensor>& batches, const CalibrationOptions& options) {
  const Communicator& ranks = Communicator::world();
  FGQ_CHECK(!batches.empty() || ranks.distributed(), "activation calibration needs at least one calibration batch");
  std::vector<ActivationQuantizer*> quantizers;
  for (auto& [name, module] : model.namedModules())
    if (auto* q = dynamic_cast<ActivationQuantizer*>(module)) quantizers.push_back(q);
  if (quantizers.empty()) return;
  const bool wasTraining = model.isTraining();
  model.eval();
  NoGradGuard noGrad;
  // Pass one finds every range with all quantizers transparent, so no quantizer sees the others' noise
  // in its range; pass two fills the histograms the same way.
  auto pass = [&] {
    for (const Tensor& batch : batches) model(Variable(batch));
    if (ranks.distributed())
      for (auto* q : quantizers) q->combineAcrossRanks(ranks);
  };
  for (auto* q : quantizers) q->observeRange();
  pass();
  for (auto* q : quantizers) q->observeHistogram();
  pass();
  for (auto* q : quantizers) q->finishCalibration(options);
  model.train(wasTraining);
}

}  // namespace fgq
