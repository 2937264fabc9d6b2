#include "train/Compression.h"

#include <iostream>

#include "core/Communicator.h"
#include "core/TensorOps.h"
#include "data/ConcatDataset.h"
#include "data/RepeatedDataset.h"
#include "data/TensorDataset.h"
#include "train/BatchNormDistillation.h"
#include "train/BatchNormReestimation.h"
#include "train/DataFreeCalibration.h"
#include "train/Datasets.h"

namespace fgq {

namespace {

// The calibration folder, or the training set with no labels read.
std::unique_ptr<Dataset> calibrationSource(const Experiment& e, const TransformOptions& transforms) {
  const QuantizationConfig& q = *e.quantization;
  return q.calibrationFolder.empty() ? makeDataset(e, true, transforms, false) : makeUnlabeledFolder(e, q.calibrationFolder, transforms);
}

// What the batch-norm distillation learns from (augmented views of the images, and the synthesized
// inputs when mixed in) and the other views of the same images it holds out.
void addDistillationData(const Experiment& e, const std::vector<int64_t>& images, const Tensor& synthesized, CalibrationData& data) {
  const QuantizationConfig& q = *e.quantization;
  auto augmented = [&](int64_t size) {
    return std::make_unique<RepeatedDataset>(calibrationSource(e, q.viewTransforms), images, std::max(static_cast<int64_t>(images.size()), size));
  };
  data.holdout = allBatches(*augmented(q.distillation.holdoutViews), q.distillation.batchSize, q.calibrationSeed + 1);
  data.augmented = augmented(q.distillation.batchSize);
  if (q.mixSynthetic)
    data.augmented = std::make_unique<ConcatDataset>(std::move(data.augmented), std::make_unique<TensorDataset>(synthesized, "synthesized inputs"));
}

}  // namespace

CalibrationData calibrationData(const Experiment& e, Module& fp32) {
  const QuantizationConfig& q = *e.quantization;
  CalibrationData data;
  Tensor synthesized;
  if (q.calibrationImages == 0 || q.mixSynthetic) {
    SynthesisOptions options = q.synthesis;
    options.seed = q.calibrationSeed;
    synthesized = synthesizeInputs(e, fp32, options);
  }
  // Under mpirun each rank calibrates on its share of the batches (the statistics are combined).
  const Communicator& ranks = Communicator::world();
  if (q.calibrationImages == 0) {
    data.batches = ranks.shareOf(splitRows(synthesized, q.calibrationBatchSize));
    data.mode = "synthesized";
    return data;
  }
  data.mode = q.mixSynthetic ? "images and synthesized" : "images";
  data.views = q.views();
  std::unique_ptr<Dataset> source = calibrationSource(e, data.views > 1 ? q.viewTransforms : e.data.evalTransforms);
  if (source->size() < q.calibrationImages)
    std::cerr << "calibration: asked for " << q.calibrationImages << " images, " << source->describe() << " has fewer; using all "
              << source->size() << "\n";
  std::vector<int64_t> images = drawImages(*source, q.calibrationImages, q.calibrationSeed);
  if (q.distillation.steps > 0) addDistillationData(e, images, synthesized, data);
  const int64_t count = static_cast<int64_t>(images.size());
  RepeatedDataset views(std::move(source), std::move(images), count * data.views);
  data.batches = ranks.shareOf(allBatches(views, q.calibrationBatchSize, q.calibrationSeed));
  if (q.mixSynthetic) data.synthesized = ranks.shareOf(splitRows(synthesized, q.calibrationBatchSize));
  data.images = views.distinctRead();
  return data;
}

std::vector<std::string> convertFgq(Module& model, const QuantizationConfig& q, const std::vector<Tensor>& batches,
                                    const std::vector<Tensor>& statisticsOnly) {
  std::vector<Tensor> statisticsBatches = batches;
  statisticsBatches.insert(statisticsBatches.end(), statisticsOnly.begin(), statisticsOnly.end());
  // Measured before the quantizers go in: what the FP32 network's batch norms see on these images.
  const bool correct = q.bnReestimation && q.bnStatistics == BnStatistics::kCorrect;
  const BatchNormStatistics running = runningStatistics(model);
  BatchNormStatistics fp32Measured;
  if (correct) {
    reestimateBatchNorm(model, statisticsBatches);
    fp32Measured = runningStatistics(model);
    setRunningStatistics(model, running);
  }
  const std::vector<std::string> kept = installFgq(model, q.fgq);
  calibrateActivations(model, batches, q.calibration);
  if (q.bnReestimation) {
    reestimateBatchNorm(model, statisticsBatches);
    if (correct) setRunningStatistics(model, shiftedStatistics(running, fp32Measured, runningStatistics(model)));
    calibrateActivations(model, batches, q.calibration);  // the statistics the scales came from moved
  }
  model.eval();
  return kept;
}

nlohmann::json distillConversion(Module& model, Module& teacher, const QuantizationConfig& q, const CalibrationData& data) {
  if (q.distillation.steps == 0 || !data.augmented) return nullptr;
  const BnDistillationResult r = distillBatchNorm(model, teacher, *data.augmented, data.holdout, q.distillation);
  std::cerr << "batch-norm distillation: " << r.steps << " steps on " << data.augmented->describe() << "; held-out L1 " << r.startError
            << " -> " << r.bestError << "\n";
  return {{"steps", r.steps}, {"holdout_l1_before", r.startError}, {"holdout_l1_after", r.bestError}};
}

}  // namespace fgq
