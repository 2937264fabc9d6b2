#include "train/Compression.h"

#include <iostream>

#include "train/BatchNormReestimation.h"
#include "train/Datasets.h"

namespace fgq {

std::vector<Tensor> calibrationBatches(const Experiment& e) {
  const QuantizationConfig& q = *e.quantization;
  const TransformOptions& t = e.data.evalTransforms;
  const std::unique_ptr<Dataset> dataset = q.calibrationFolder.empty() ? makeDataset(e, true, t, false)
                                                                        : makeUnlabeledFolder(e, q.calibrationFolder, t);
  if (dataset->size() < q.calibrationImages)
    std::cerr << "calibration: asked for " << q.calibrationImages << " images, " << dataset->describe() << " has fewer; using all "
              << dataset->size() << "\n";
  return sampleBatches(*dataset, q.calibrationImages, q.calibrationBatchSize, q.calibrationSeed);
}

std::vector<std::string> convertFgq(Module& model, const QuantizationConfig& q, const std::vector<Tensor>& batches) {
  const std::vector<std::string> kept = installFgq(model, q.fgq);
  calibrateActivations(model, batches, q.calibration);
  if (q.bnReestimation) {
    reestimateBatchNorm(model, batches);
    calibrateActivations(model, batches, q.calibration);  // the statistics the scales came from moved
  }
  model.eval();
  return kept;
}

}  // namespace fgq
