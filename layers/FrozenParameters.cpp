#include "layers/FrozenParameters.h"

namespace fgq {

FrozenParameters::FrozenParameters(Module& model) {
  for (Variable p : model.parameters()) {
    saved_.emplace_back(p, p.requiresGrad());
    p.setRequiresGrad(false);
  }
}

FrozenParameters::~FrozenParameters() {
  for (auto& [p, required] : saved_) p.setRequiresGrad(required);
}

}  // namespace fgq
