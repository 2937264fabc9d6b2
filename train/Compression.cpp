#include "train/Compression.h"

#include <iostream>

#include "core/TensorOps.h"
#include "data/RepeatedDataset.h"
#include "train/BatchNormDistillation.h"
#include "train/BatchNormReestimation.h"
#include "train/DataFreeCalibration.h"
#include "train/Datasets.h"

namespace fgq {

namespace {

CalibrationData synthesizedData(const Experiment& e, Module& fp32) {
  const QuantizationConfig& q = *e.quantization;
  const int64_t size = e.model.options.inputSize;
  SynthesisOptions options = q.synthesis;
  options.seed = q.calibrationSeed;
  const SynthesizedImages s = synthesizeImages(fp32, {e.model.options.inChannels, size, size}, options);
  std::cerr << "calibration: no images; synthesized " << options.images << " inputs from the FP32 model's batch-norm statistics in "
            << options.steps << " steps (statistics mismatch " << s.initialLoss << " -> " << s.finalLoss << ")\n";
  CalibrationData data;
  data.batches = splitRows(s.images, q.calibrationBatchSize);
  data.mode = "synthesized";
  return data;
}

}  // namespace

CalibrationData calibrationData(const Experiment& e, Module& fp32) {
  const QuantizationConfig& q = *e.quantization;
  if (q.calibrationImages == 0) return synthesizedData(e, fp32);
  CalibrationData data;
  data.mode = "images";
  data.views = q.views();
  const TransformOptions& t = data.views > 1 ? q.viewTransforms : e.data.evalTransforms;
  std::unique_ptr<Dataset> source = q.calibrationFolder.empty() ? makeDataset(e, true, t, false) : makeUnlabeledFolder(e, q.calibrationFolder, t);
  if (source->size() < q.calibrationImages)
    std::cerr << "calibration: asked for " << q.calibrationImages << " images, " << source->describe() << " has fewer; using all "
              << source->size() << "\n";
  std::vector<int64_t> images = drawImages(*source, q.calibrationImages, q.calibrationSeed);
  const int64_t count = static_cast<int64_t>(images.size());
  if (q.distillation.steps > 0) {
    auto augmented = [&](int64_t size) {
      auto base = q.calibrationFolder.empty() ? makeDataset(e, true, q.viewTransforms, false) : makeUnlabeledFolder(e, q.calibrationFolder, q.viewTransforms);
      return std::make_unique<RepeatedDataset>(std::move(base), images, std::max(count, size));
    };
    data.augmented = augmented(q.distillation.batchSize);
    data.holdout = allBatches(*augmented(q.distillation.holdoutViews), q.distillation.batchSize, q.calibrationSeed + 1);
  }
  RepeatedDataset views(std::move(source), std::move(images), count * data.views);
  data.batches = allBatches(views, q.calibrationBatchSize, q.calibrationSeed);
  data.images = views.distinctRead();
  return data;
}

std::vector<std::string> convertFgq(Module& model, const QuantizationConfig& q, const std::vector<Tensor>& batches) {
  // Measured before the quantizers go in: what the FP32 network's batch norms see on these images.
  const bool correct = q.bnReestimation && q.bnStatistics == BnStatistics::kCorrect;
  const BatchNormStatistics running = runningStatistics(model);
  BatchNormStatistics fp32Measured;
  if (correct) {
    reestimateBatchNorm(model, batches);
    fp32Measured = runningStatistics(model);
    setRunningStatistics(model, running);
  }
  const std::vector<std::string> kept = installFgq(model, q.fgq);
  calibrateActivations(model, batches, q.calibration);
  if (q.bnReestimation) {
    reestimateBatchNorm(model, batches);
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
