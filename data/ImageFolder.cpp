#include "data/ImageFolder.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <iostream>

#include "core/Error.h"
#include "data/ImageDecoding.h"

namespace fgq {
namespace fs = std::filesystem;

bool isImageFile(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* known : {".jpg", ".jpeg", ".png", ".bmp", ".ppm", ".pgm", ".webp", ".tif", ".tiff"})
    if (ext == known) return true;
  return false;
}

namespace {

std::vector<std::string> sortedImages(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && isImageFile(entry.path().string())) files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> readLines(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open " + what);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

ImageFolder::ImageFolder(const std::string& root, TransformOptions transforms, ImageFolderOptions options)
    : root_(root), transforms_(std::move(transforms)), options_(options) {
  FGQ_CHECK(options.channels == 1 || options.channels == 3, "image folder channels must be 1 or 3, found " << options.channels);
  if (!fs::is_directory(root)) throw Error(root + ": image folder not found");
  std::vector<std::string> folders;
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory()) folders.push_back(entry.path().filename().string());
  std::sort(folders.begin(), folders.end());
  if (!options.synsets.empty()) {
    for (const std::string& line : readLines(options.synsets, "synset list")) {
      classes_.push_back(line.substr(0, line.find(' ')));  // "n01440764 tench, ..." -> "n01440764"
      synsetIndex_[classes_.back()] = static_cast<int64_t>(classes_.size()) - 1;
    }
  } else {
    classes_ = folders;
  }
  for (size_t f = 0; f < folders.size(); ++f) {
    int64_t label = static_cast<int64_t>(f);
    if (!options.synsets.empty()) {
      auto it = synsetIndex_.find(folders[f]);
      if (it == synsetIndex_.end()) throw Error(root + "/" + folders[f] + ": class folder is not a synset of " + options.synsets);
      label = it->second;  // a subset of the classes keeps the full model's class indices
    }
    for (auto& path : sortedImages(fs::path(root) / folders[f])) files_.push_back({path, label});
  }
  if (folders.empty())
    for (auto& path : sortedImages(root)) files_.push_back({path, -1});
  if (files_.empty())
    throw Error(root + ": no images (expected class subfolders of .jpg/.png/... files, or image files directly)");
  if (!options.groundTruth.empty()) {
    if (!folders.empty()) throw Error(options.groundTruth + ": a ground-truth file labels a flat folder, but " + root + " has class subfolders");
    readGroundTruth(options.groundTruth);
  }
}

void ImageFolder::readGroundTruth(const std::string& path) {
  const std::vector<std::string> labels = readLines(path, "ground-truth file");
  if (labels.size() != files_.size())
    throw Error(path + ": " + std::to_string(labels.size()) + " labels for the " + std::to_string(files_.size()) + " images in " + root_);
  for (size_t i = 0; i < labels.size(); ++i) {
    const std::string token = labels[i].substr(0, labels[i].find_first_of(" ,"));
    char* end = nullptr;
    const long index = std::strtol(token.c_str(), &end, 10);
    if (end != token.c_str() && *end == '\0') {
      files_[i].label = index;
    } else {
      auto it = synsetIndex_.find(token);
      if (it == synsetIndex_.end())
        throw Error(path + ": line " + std::to_string(i + 1) + ": '" + token + "' is not a class index" +
                    (options_.synsets.empty() ? " (give data.synsets to name classes by synset)" : " or a synset of " + options_.synsets));
      files_[i].label = it->second;
    }
    if (files_[i].label < 0 || (!classes_.empty() && files_[i].label >= static_cast<int64_t>(classes_.size())))
      throw Error(path + ": line " + std::to_string(i + 1) + ": class " + std::to_string(files_[i].label) + " out of range");
  }
}

Tensor loadImage(const std::string& path, int64_t channels, int64_t maxPixels, const TransformOptions& transforms, Random& random) {
  const std::optional<ImageSize> size = readImageSize(path);
  if (!size) return Tensor();
  int64_t pixels = 0;
  if (__builtin_mul_overflow(size->width, size->height, &pixels) || pixels > maxPixels)
    throw Error(path + ": image of " + std::to_string(size->width) + " x " + std::to_string(size->height) + " pixels, over the limit of " +
                std::to_string(maxPixels) + " (data.max_image_pixels)");
  cv::Mat image;
  try {
    image = decodeImage(path, channels, transforms.preprocessing);
  } catch (const cv::Exception&) {
    return Tensor();  // a header OpenCV's decoder reads otherwise than ours (a PNM's numbers), over its own size limit
  }
  if (image.empty()) return Tensor();
  return applyTransforms(image, transforms, random);
}

Example ImageFolder::get(int64_t index, Random& random) const {
  FGQ_CHECK(index >= 0 && index < size(), "image index " << index << " outside [0, " << size() << ")");
  for (int64_t tries = 0; tries < size(); ++tries) {
    const File& file = files_[(index + tries) % size()];
    Tensor image = loadImage(file.path, options_.channels, options_.maxImagePixels, transforms_, random);
    if (image.defined()) return {image, file.label};
    if (!options_.skipBadImages) throw Error(file.path + ": cannot decode image (corrupt or not an image)");
    std::lock_guard lock(warnedMutex_);
    if (warned_.insert((index + tries) % size()).second)
      std::cerr << "warning: " << file.path << ": cannot decode image, skipped\n";
  }
  throw Error(root_ + ": no image in the folder can be decoded");
}

std::string ImageFolder::describe() const {
  return root_ + " (" + std::to_string(size()) + " images, " +
         (classes_.empty() ? std::string("unlabeled") : std::to_string(classes_.size()) + " classes") + ")";
}

}  // namespace fgq
