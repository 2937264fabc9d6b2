#include "train/Compression.h"

#include <iostream>

#include "core/TensorOps.h"
#include "data/RepeatedDataset.h"
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
  return {splitRows(s.images, q.calibrationBatchSize), 0, 1, "synthesized"};
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

}  // namespace fgq
