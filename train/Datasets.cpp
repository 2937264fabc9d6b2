#include "train/Datasets.h"

#include "core/TensorOps.h"
#include "data/DataLoader.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"

namespace fgq {

std::unique_ptr<Dataset> makeDataset(const Experiment& e, bool trainSplit, const TransformOptions& t, bool withLabels) {
  const DataConfig& d = e.data;
  if (d.dataset == "fashion_mnist") return std::make_unique<FashionMnist>(d.root, trainSplit ? "train" : "test", t, withLabels);
  const int64_t channels = t.mean.empty() ? 3 : static_cast<int64_t>(t.mean.size());
  const std::string& root = trainSplit ? d.trainRoot : d.evalRoot;
  ImageFolderOptions options{channels, d.skipBadImages, trainSplit ? "" : d.evalGroundTruth, d.synsets};
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
  return std::make_unique<ImageFolder>(folder, t, options);
}

std::vector<Tensor> sampleBatches(Dataset& dataset, int64_t count, int64_t batchSize, uint64_t seed) {
  count = std::min(count, dataset.size());
  DataLoader loader(dataset, {count, true, true, seed, 1, -1});  // the loader's shuffle draws the sample
  loader.startEpoch(0);
  return splitRows(loader.next()->images, batchSize);
}

Tensor imagesOf(Dataset& dataset, int64_t first, int64_t count) {
  Random random(0);
  std::vector<Tensor> images;
  for (int64_t i = first; i < first + count; ++i) {
    const Tensor image = dataset.get(i, random).image;
    std::vector<int64_t> dims{1};
    dims.insert(dims.end(), image.shape().dims().begin(), image.shape().dims().end());
    images.push_back(image.reshape(Shape(dims)));
  }
  return concatenate(images);
}

}  // namespace fgq
