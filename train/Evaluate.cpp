#include "train/Evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "core/Communicator.h"
#include "layers/ops/Ops.h"

namespace fgq {

TopK countCorrect(const Tensor& logitsIn, const Tensor& labels) {
  const Tensor logits = logitsIn.plain();
  const int64_t n = logits.dim(0), k = logits.dim(1);
  TopK out;
  for (int64_t i = 0; i < n; ++i) {
    const float* row = logits.data<float>() + i * k;
    const int64_t label = labels.data<int64_t>()[i];
    int64_t above = 0;  // classes scored higher than the label (ties count against it)
    for (int64_t j = 0; j < k; ++j)
      if (j != label && row[j] >= row[label]) ++above;
    out.top1 += above == 0;
    out.top5 += above < 5;
  }
  return out;
}

int64_t countAgreements(const Tensor& aIn, const Tensor& bIn) {
  const Tensor a = aIn.plain(), b = bIn.plain();
  const int64_t n = a.dim(0), k = a.dim(1);
  auto argmax = [k](const float* row) { return std::max_element(row, row + k) - row; };
  int64_t same = 0;
  for (int64_t i = 0; i < n; ++i) same += argmax(a.data<float>() + i * k) == argmax(b.data<float>() + i * k);
  return same;
}

EvalResult evaluate(Module& model, DataLoader& loader, Module* teacher) {
  const bool wasTraining = model.isTraining();
  model.eval();
  if (teacher) teacher->eval();
  int64_t agreeing = 0, logitCount = 0;
  double logitDistance = 0;
  NoGradGuard noGrad;
  EvalResult r;
  int64_t top1 = 0, top5 = 0;
  double lossSum = 0;
  double timedSeconds = 0, firstSeconds = 0;
  int64_t timedImages = 0;
  loader.startEpoch(0);
  while (auto batch = loader.next()) {
    const auto start = std::chrono::steady_clock::now();
    const Variable logits = model(Variable(batch->images));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const int64_t n = batch->images.dim(0);
    if (r.examples == 0) {
      firstSeconds = seconds;
    } else {
      timedSeconds += seconds;
      timedImages += n;
    }
    lossSum += crossEntropy(logits, batch->labels).tensor().itemAsDouble() * static_cast<double>(n);
    const TopK c = countCorrect(logits.tensor(), batch->labels);
    top1 += c.top1;
    top5 += c.top5;
    r.examples += n;
    if (teacher) {
      const Tensor a = logits.tensor().plain(), b = (*teacher)(Variable(batch->images)).tensor().plain();
      agreeing += countAgreements(a, b);
      for (int64_t i = 0; i < a.numel(); ++i) logitDistance += std::abs(a.data<float>()[i] - b.data<float>()[i]);
      logitCount += a.numel();
    }
  }
  model.train(wasTraining);
  const int64_t localExamples = r.examples;
  if (loader.sharded()) {
    std::vector<double> sums{static_cast<double>(r.examples), static_cast<double>(top1), static_cast<double>(top5), lossSum,
                             static_cast<double>(agreeing), logitDistance, static_cast<double>(logitCount)};
    Communicator::world().allreduceSum(sums);
    r.examples = static_cast<int64_t>(sums[0]);
    top1 = static_cast<int64_t>(sums[1]);
    top5 = static_cast<int64_t>(sums[2]);
    lossSum = sums[3];
    agreeing = static_cast<int64_t>(sums[4]);
    logitDistance = sums[5];
    logitCount = static_cast<int64_t>(sums[6]);
  }
  FGQ_CHECK(r.examples > 0, "evaluation saw no examples");
  r.top1 = 100.0 * static_cast<double>(top1) / static_cast<double>(r.examples);
  r.top5 = 100.0 * static_cast<double>(top5) / static_cast<double>(r.examples);
  r.loss = lossSum / static_cast<double>(r.examples);
  r.imagesPerSecond = timedImages > 0     ? static_cast<double>(timedImages) / timedSeconds
                      : localExamples > 0 ? static_cast<double>(localExamples) / firstSeconds
                                          : 0.0;
  if (teacher) {
    r.agreement = 100.0 * static_cast<double>(agreeing) / static_cast<double>(r.examples);
    r.logitL1 = logitDistance / static_cast<double>(logitCount);
  }
  return r;
}

}  // namespace fgq
