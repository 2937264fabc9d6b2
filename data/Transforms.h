#pragma once
// Image preprocessing and augmentation on OpenCV images (HWC, u8 or f32, RGB or gray), ending in a
// normalized [C, H, W] f32 tensor. The pipeline's order is fixed, as torchvision's usual recipes:
// resize -> center crop | random resized crop | random crop with padding -> horizontal flip ->
// to float in [0, 1] -> normalize with per-channel mean and std. Sizes and offsets follow torchvision's
// rules: the shorter side resized to the size and the longer truncated; a center crop's offset rounded
// half to even (Python's round).
#include <opencv2/core.hpp>
#include <optional>
#include <vector>

#include "core/Random.h"
#include "core/Tensor.h"

namespace fgq {

// Which library's decoding and resizing the pixels match (data/ImageDecoding.h):
// torchvision: Pillow's, bit for bit (antialiased bilinear, 8-bit rounding between the passes);
// opencv: cv::imread and cv::resize INTER_LINEAR, fgq's pipeline before 2026-12 (faster, aliases).
enum class Preprocessing { torchvision, opencv };

struct RandomResizedCrop {
  int64_t size = 224;
  double minScale = 0.08, maxScale = 1.0;       // of the image area
  double minRatio = 3.0 / 4.0, maxRatio = 4.0 / 3.0;  // aspect ratio
};

struct RandomCrop {
  int64_t size = 0;
  int64_t padding = 0;  // zero padding on every side before cropping
};

struct TransformOptions {
  std::optional<int64_t> resize;       // shorter side to this many pixels (bilinear)
  std::optional<int64_t> centerCrop;   // square
  std::optional<RandomResizedCrop> randomResizedCrop;
  std::optional<RandomCrop> randomCrop;
  bool horizontalFlip = false;  // with probability 1/2
  std::vector<double> mean, std;  // one per channel, on the [0, 1] scale; empty: no normalization
  Preprocessing preprocessing = Preprocessing::torchvision;
};

// The u8 image after resizing and cropping, before flipping and conversion to float: what
// torchvision's PIL image is before ToTensor.
cv::Mat resizeAndCrop(const cv::Mat& image, const TransformOptions& options, Random& random);

// `image` is u8 (0..255). Throws when the result is smaller than a crop or channels do not match.
Tensor applyTransforms(const cv::Mat& image, const TransformOptions& options, Random& random);

}  // namespace fgq
