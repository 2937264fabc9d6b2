#pragma once
// Images in class subfolders (root/CLASS/*.jpg, classes sorted by name, as torchvision's ImageFolder,
// or looked up in a synset list), or directly in root: labelled by a ground-truth file, or unlabeled
// (labels -1) for calibration sets. Decoded to RGB (or gray when `channels` is 1) as the transforms'
// preprocessing says (data/ImageDecoding.h). A file that cannot be decoded is an error naming it, or, with
// skipBadImages, a warning and the next readable image in its place.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "data/Dataset.h"
#include "data/ImageHeader.h"
#include "data/Transforms.h"

namespace fgq {

struct ImageFolderOptions {
  int64_t channels = 3;
  bool skipBadImages = false;
  int64_t maxImagePixels = kDefaultMaxImagePixels;  // a larger image is an error naming it
  // For a flat folder (ImageNet's validation set as distributed): one label per image, in the order of
  // the sorted file names, each a class index or a synset ("n01440764") looked up in `synsets`.
  std::string groundTruth;
  // One synset per line; the line number is the class index (as torchvision's sorted class folders).
  // Class subfolders are then looked up by name, so a subset of the classes keeps the model's indices.
  std::string synsets;
};

class ImageFolder : public Dataset {
 public:
  ImageFolder(const std::string& root, TransformOptions transforms, ImageFolderOptions options = {});
  int64_t size() const override { return static_cast<int64_t>(files_.size()); }
  Example get(int64_t index, Random& random) const override;
  int64_t numClasses() const override { return static_cast<int64_t>(classes_.size()); }
  std::string describe() const override;
  const std::vector<std::string>& classes() const { return classes_; }
  const std::string& path(int64_t index) const { return files_[index].path; }

 private:
  void readGroundTruth(const std::string& path);
  struct File {
    std::string path;
    int64_t label;
  };
  std::string root_;
  std::vector<std::string> classes_;
  std::map<std::string, int64_t> synsetIndex_;
  std::vector<File> files_;
  TransformOptions transforms_;
  ImageFolderOptions options_;
  mutable std::mutex warnedMutex_;
  mutable std::set<int64_t> warned_;
};

bool isImageFile(const std::string& path);

// One image file decoded as the folders do (RGB, or gray for 1 channel) and transformed; an empty
// tensor when it cannot be decoded. Throws naming the file when its header claims more than `maxPixels`.
Tensor loadImage(const std::string& path, int64_t channels, int64_t maxPixels, const TransformOptions& transforms, Random& random);

}  // namespace fgq
