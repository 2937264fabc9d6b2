#include "data/ImageFolder.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/Error.h"

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

}  // namespace

ImageFolder::ImageFolder(const std::string& root, TransformOptions transforms, ImageFolderOptions options)
    : root_(root), transforms_(std::move(transforms)), options_(options) {
  FGQ_CHECK(options.channels == 1 || options.channels == 3, "image folder channels must be 1 or 3, found " << options.channels);
  if (!fs::is_directory(root)) throw Error(root + ": image folder not found");
  for (const auto& entry : fs::directory_iterator(root))
    if (entry.is_directory()) classes_.push_back(entry.path().filename().string());
  std::sort(classes_.begin(), classes_.end());
  for (size_t c = 0; c < classes_.size(); ++c)
    for (auto& path : sortedImages(fs::path(root) / classes_[c])) files_.push_back({path, static_cast<int64_t>(c)});
  if (classes_.empty())
    for (auto& path : sortedImages(root)) files_.push_back({path, -1});
  if (files_.empty())
    throw Error(root + ": no images (expected class subfolders of .jpg/.png/... files, or image files directly)");
}

Example ImageFolder::get(int64_t index, Random& random) const {
  FGQ_CHECK(index >= 0 && index < size(), "image index " << index << " outside [0, " << size() << ")");
  for (int64_t tries = 0; tries < size(); ++tries) {
    const File& file = files_[(index + tries) % size()];
    cv::Mat image = cv::imread(file.path, options_.channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    if (!image.empty()) {
      if (options_.channels == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
      return {applyTransforms(image, transforms_, random), file.label};
    }
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
