#pragma once
// torchvision's AlexNet: features (5 convs, 3 max pools), avgpool to 6x6, classifier (dropout, 3 linears).
#include "layers/Modules.h"
#include "layers/models/Models.h"

namespace fgq {

class AlexNet : public Module {
 public:
  explicit AlexNet(const ModelOptions& options);
  Variable forward(const Variable& x) override;
  Shape inferShape(const Shape& input, LayerInputShapes& layerInputs) const override;
  int trace(Graph& graph, int input) const override;

 private:
  std::shared_ptr<Sequential> features_, classifier_;
};

}  // namespace fgq
