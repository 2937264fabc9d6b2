#include "train/Compression.h"

#include <iostream>
#include <numeric>

#include "data/DataLoader.h"
#include "data/ImageFolder.h"
#include "train/BatchNormReestimation.h"
#include "train/Trainer.h"

namespace fgq {

std::vector<Tensor> calibrationBatches(const Experiment& e) {
  const QuantizationConfig& q = *e.quantization;
  const TransformOptions& t = e.data.evalTransforms;
  std::unique_ptr<Dataset> dataset;
  if (!q.calibrationFolder.empty()) {
    dataset = makeUnlabeledFolder(e, q.calibrationFolder, t);
  } else {
    dataset = makeDataset(e, true, t, false);
  }
  // A seeded sample of the images, in batches; the loader's shuffle draws it.
  const int64_t count = std::min(q.calibrationImages, dataset->size());
  if (count < q.calibrationImages)
    std::cerr << "calibration: asked for " << q.calibrationImages << " images, " << dataset->describe()
              << " has fewer; using all " << count << "\n";
  DataLoader loader(*dataset, {count, true, true, q.calibrationSeed, 1, -1});
  loader.startEpoch(0);
  const Tensor all = loader.next()->images;
  std::vector<Tensor> batches;
  const int64_t perImage = all.numel() / count;
  for (int64_t begin = 0; begin < count; begin += q.calibrationBatchSize) {
    const int64_t n = std::min(q.calibrationBatchSize, count - begin);
    std::vector<int64_t> dims = all.shape().dims();
    dims[0] = n;
    Tensor batch = Tensor::empty(Shape(dims));
    std::copy_n(all.data<float>() + begin * perImage, n * perImage, batch.data<float>());
    batches.push_back(batch);
  }
  return batches;
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
