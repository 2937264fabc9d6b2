#include "train/BatchNormReestimation.h"

#include "core/Communicator.h"
#include "core/TensorOps.h"
#include "layers/Modules.h"

namespace fgq {

namespace {

std::vector<BatchNorm2d*> batchNorms(const Module& model) {
  std::vector<BatchNorm2d*> norms;
  for (auto& [name, module] : model.namedModules())
    if (auto* bn = dynamic_cast<BatchNorm2d*>(module)) norms.push_back(bn);
  return norms;
}

// Each rank averaged over its own batches; the average over all of them weighs each rank's by its count.
void combineAcrossRanks(BatchNorm2d& bn) {
  const Communicator& ranks = Communicator::world();
  if (!ranks.distributed()) return;
  int64_t& tracked = bn.numBatchesTracked.data<int64_t>()[0];
  const int64_t channels = bn.runningMean.numel();
  float* mean = bn.runningMean.data<float>();
  float* var = bn.runningVar.data<float>();
  std::vector<double> sums(2 * channels + 1);
  for (int64_t c = 0; c < channels; ++c) {
    sums[c] = static_cast<double>(tracked) * mean[c];
    sums[channels + c] = static_cast<double>(tracked) * var[c];
  }
  sums[2 * channels] = static_cast<double>(tracked);
  ranks.allreduceSum(sums);
  const double total = sums[2 * channels];
  FGQ_CHECK(total > 0, "batch-norm re-estimation: no rank had a calibration batch");
  for (int64_t c = 0; c < channels; ++c) {
    mean[c] = static_cast<float>(sums[c] / total);
    var[c] = static_cast<float>(sums[channels + c] / total);
  }
  tracked = static_cast<int64_t>(total);
}

}  // namespace

void reestimateBatchNorm(Module& model, const std::vector<Tensor>& batches) {
  FGQ_CHECK(!batches.empty() || Communicator::world().distributed(), "batch-norm re-estimation needs at least one calibration batch");
  model.eval();
  std::vector<std::pair<BatchNorm2d*, std::optional<double>>> norms;
  for (BatchNorm2d* bn : batchNorms(model)) {
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
    combineAcrossRanks(*bn);
    bn->momentum = momentum;
    bn->train(false);
  }
}

BatchNormStatistics runningStatistics(const Module& model) {
  BatchNormStatistics s;
  for (BatchNorm2d* bn : batchNorms(model)) {
    s.mean.push_back(bn->runningMean.clone());
    s.var.push_back(bn->runningVar.clone());
  }
  return s;
}

void setRunningStatistics(Module& model, const BatchNormStatistics& s) {
  const std::vector<BatchNorm2d*> norms = batchNorms(model);
  FGQ_CHECK(norms.size() == s.mean.size(), "statistics of " << s.mean.size() << " batch norms for a model with " << norms.size());
  for (size_t i = 0; i < norms.size(); ++i) {
    norms[i]->runningMean.copyFrom(s.mean[i]);
    norms[i]->runningVar.copyFrom(s.var[i]);
  }
}

BatchNormStatistics shiftedStatistics(const BatchNormStatistics& running, const BatchNormStatistics& fp32, const BatchNormStatistics& quantized) {
  constexpr double kEps = 1e-5;
  BatchNormStatistics out = running;
  for (size_t i = 0; i < running.mean.size(); ++i) {
    float* mean = out.mean[i].data<float>();
    float* var = out.var[i].data<float>();
    for (int64_t c = 0; c < out.mean[i].numel(); ++c) {
      mean[c] += quantized.mean[i].data<float>()[c] - fp32.mean[i].data<float>()[c];
      var[c] = static_cast<float>(var[c] * (quantized.var[i].data<float>()[c] + kEps) / (fp32.var[i].data<float>()[c] + kEps));
    }
  }
  return out;
}

}  // namespace fgq
