#include "layers/BatchNormFolding.h"

#include <cmath>

#include "core/TensorOps.h"
#include "layers/Modules.h"

namespace fgq {

ChannelAffine batchNormAffine(const BatchNorm2d& bn, const Variable& convBias) {
  const int64_t k = bn.runningMean.numel();
  const Tensor bias = convBias.defined() ? convBias.tensor().plain() : Tensor::zeros({k});
  const Tensor gamma = bn.weight.tensor().plain(), beta = bn.bias.tensor().plain(), mean = bn.runningMean.plain(), var = bn.runningVar.plain();
  ChannelAffine a;
  for (int64_t c = 0; c < k; ++c) {
    const double scale = gamma.data<float>()[c] / std::sqrt(static_cast<double>(var.data<float>()[c]) + bn.eps);
    a.scale.push_back(scale);
    a.shift.push_back(scale * (bias.data<float>()[c] - static_cast<double>(mean.data<float>()[c])) + beta.data<float>()[c]);
  }
  return a;
}

void foldBatchNorm(Module& model) {
  const auto modules = model.namedModules();
  for (size_t i = 0; i + 1 < modules.size(); ++i) {
    auto* conv = dynamic_cast<Conv2d*>(modules[i].second);
    auto* bn = dynamic_cast<BatchNorm2d*>(modules[i + 1].second);
    if (!conv || !bn) continue;
    const int64_t k = conv->weight.shape()[0], perChannel = conv->weight.tensor().numel() / k;
    float* w = conv->weight.tensor().data<float>();
    const ChannelAffine a = batchNormAffine(*bn, conv->bias);
    Tensor bias = Tensor::zeros({k});
    for (int64_t c = 0; c < k; ++c) {
      for (int64_t j = 0; j < perChannel; ++j) w[c * perChannel + j] = static_cast<float>(w[c * perChannel + j] * a.scale[static_cast<size_t>(c)]);
      bias.data<float>()[c] = static_cast<float>(a.shift[static_cast<size_t>(c)]);
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
