#include "layers/BatchNormFolding.h"

#include <cmath>

#include "core/TensorOps.h"
#include "layers/Modules.h"

namespace fgq {

void foldBatchNorm(Module& model) {
  const auto modules = model.namedModules();
  for (size_t i = 0; i + 1 < modules.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(modules[i].second);
    auto* bn = dynamic_cast<BatchNorm2d*>(modules[i + 1].second);
    if (!conv || !bn) continue;
    const int64_t k = conv->weight.shape()[0], perChannel = conv->weight.tensor().numel() / k;
    float* w = conv->weight.tensor().data<float>();
    Tensor bias = conv->bias.defined() ? conv->bias.tensor().clone() : Tensor::zeros({k});
    for (int64_t c = 0; c < k; ++c) {
      const double factor = bn->weight.tensor().data<float>()[c] / std::sqrt(bn->runningVar.data<float>()[c] + bn->eps);
      for (int64_t j = 0; j < perChannel; ++j) w[c * perChannel + j] = static_cast<float>(w[c * perChannel + j] * factor);
      bias.data<float>()[c] = static_cast<float>((bias.data<float>()[c] - bn->runningMean.data<float>()[c]) * factor +
                                                 bn->bias.tensor().data<float>()[c]);
    }
    conv->setBias(bias);
    // The batch norm stays in the graph as an exact identity in evaluation mode.
    fill(bn->weight.tensor(), 1.0);
    fill(bn->bias.tensor(), 0.0);
    fill(bn->runningMean, 0.0);
    fill(bn->runningVar, 1.0 - bn->eps);
    bn->weight.setRequiresGrad(false);
    bn->bias.setRequiresGrad(false);
  }
}

}  // namespace fgq
