#include "train/BatchNormReestimation.h"

#include "core/TensorOps.h"
#include "layers/Modules.h"

namespace fgq {

void reestimateBatchNorm(Module& model, const std::vector<Tensor>& batches) {
  FGQ_CHECK(!batches.empty(), "batch-norm re-estimation needs at least one calibration batch");
  model.eval();
  std::vector<std::pair<BatchNorm2d*, std::optional<double>>> norms;
  for (auto& [name, module] : model.namedModules())
    if (auto* bn = dynamic_cast<BatchNorm2d*>(module)) {
      norms.emplace_back(bn, bn->momentum);
      fill(bn->runningMean, 0.0);
      fill(bn->runningVar, 1.0);
      bn->numBatchesTracked.data<int64_t>()[0] = 0;
      bn->momentum = std::nullopt;
      bn->train(true);
    }
  {
    NoGradGuard noGrad;
    for (const Tensor& batch : batches) model(Variable(batch));
  }
  for (auto& [bn, momentum] : norms) {
    bn->momentum = momentum;
    bn->train(false);
  }
}

}  // namespace fgq
