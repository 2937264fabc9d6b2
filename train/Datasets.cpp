#include "train/Datasets.h"

#include <iostream>
#include <numeric>

#include "data/DataLoader.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"

namespace fgq {

std::unique_ptr<Dataset> makeDataset(const Experiment& e, bool trainSplit, const TransformOptions& t, bool withLabels) {
  const DataConfig& d = e.data;
  if (d.dataset == "fashion_mnist") return std::make_unique<FashionMnist>(d.root, trainSplit ? "train" : "test", t, withLabels);
  const int64_t channels = t.mean.empty() ? 3 : static_cast<int64_t>(t.mean.size());
  const std::string& root = trainSplit ? d.trainRoot : d.evalRoot;
  ImageFolderOptions options{channels, d.skipBadImages, d.maxImagePixels, trainSplit ? "" : d.evalGroundTruth, d.synsets};
  auto folder = std::make_unique<ImageFolder>(root, t, options);
  const int64_t classes = folder->numClasses();
  if (withLabels && classes > 0 && classes != e.model.options.numClasses)
    throw Error(root + ": " + std::to_string(classes) + " classes, but model.num_classes is " + std::to_string(e.model.options.numClasses) +
                (d.synsets.empty() ? " (for a subset of the classes give data.synsets, the full list of class names)" : ""));
  return folder;
}

std::unique_ptr<Dataset> makeUnlabeledFolder(const Experiment& e, const std::string& folder, const TransformOptions& t) {
  ImageFolderOptions options;
  options.channels = e.model.options.inChannels;
  options.skipBadImages = e.data.skipBadImages;
  options.maxImagePixels = e.data.maxImagePixels;
  return std::make_unique<ImageFolder>(folder, t, options);
}

std::vector<int64_t> drawImages(const Dataset& dataset, int64_t count, uint64_t seed) {
  if (count >= dataset.size()) {
    std::vector<int64_t> all(dataset.size());
    std::iota(all.begin(), all.end(), 0);
    return all;
  }
  std::vector<int64_t> order = epochOrder(dataset.size(), seed, 0);
  order.resize(count);
  return order;
}

std::vector<Tensor> allBatches(Dataset& dataset, int64_t batchSize, uint64_t seed) {
  DataLoader loader(dataset, {batchSize, false, false, seed, 2, -1});
  loader.startEpoch(0);
  std::vector<Tensor> batches;
  while (auto batch = loader.next()) batches.push_back(batch->images);
  return batches;
}

Tensor synthesizeInputs(const Experiment& e, Module& fp32, const SynthesisOptions& options) {
  const int64_t size = e.model.options.inputSize;
  const SynthesizedImages s = synthesizeImages(fp32, {e.model.options.inChannels, size, size}, options);
  std::cerr << "synthesized " << options.images << " inputs from the FP32 model's batch-norm statistics in " << options.steps
            << " steps (statistics mismatch " << s.initialLoss << " -> " << s.finalLoss << ")\n";
  return s.images;
}

}  // namespace fgq
