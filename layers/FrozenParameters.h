#pragma once
// While alive, none of a module's parameters takes gradients except the ones handed to `thaw`; on
// destruction (an exception included) every parameter gets back the flag it had.
#include <utility>
#include <vector>

#include "layers/Module.h"

namespace fgq {

class FrozenParameters {
 public:
  explicit FrozenParameters(Module& model);
  ~FrozenParameters();
  FrozenParameters(const FrozenParameters&) = delete;
  FrozenParameters& operator=(const FrozenParameters&) = delete;

  void thaw(Variable& parameter) { parameter.setRequiresGrad(true); }

 private:
  std::vector<std::pair<Variable, bool>> saved_;
};

}  // namespace fgq
