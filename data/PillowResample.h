#pragma once
// Pillow's bilinear resampling (Image.resize with BILINEAR, as torchvision's Resize calls it on PIL
// images), bit for bit: a triangle filter widened by the scale when shrinking (antialiasing), weights in
// 22-bit fixed point, the horizontal pass first, rounded to 8 bits, then the vertical pass. OpenCV's
// INTER_LINEAR samples only the two nearest pixels and so aliases on textures when it shrinks.
#include <opencv2/core.hpp>

namespace fgq {

// `image` is u8 with any number of channels; the result is width x height, the same type.
cv::Mat pillowResizeBilinear(const cv::Mat& image, int width, int height);

}  // namespace fgq
