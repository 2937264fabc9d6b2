#include "data/PillowResample.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/Error.h"

namespace fgq {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's: 8-bit pixels times weights, with headroom

// For one axis: the first input index each output reads, how many, and their fixed-point weights.
struct Taps {
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // out x width, zero past count
  int width = 0;
};

double triangle(double x) {
  x = std::abs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

Taps precomputeTaps(int inSize, int outSize) {
  const double scale = static_cast<double>(inSize) / outSize;
  const double filterScale = std::max(scale, 1.0);
  const double support = 1.0 * filterScale;
  Taps t;
  t.width = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(outSize);
  t.count.resize(outSize);
  t.weights.assign(static_cast<size_t>(outSize) * t.width, 0);
  std::vector<double> w(t.width);
  const double inverseScale = 1.0 / filterScale;  // Pillow multiplies by it: dividing would round differently
  for (int o = 0; o < outSize; ++o) {
    const double center = (o + 0.5) * scale;
    // Pillow truncates center +- support + 0.5 toward zero, then clamps to the image.
    const int lo = std::max(static_cast<int>(center - support + 0.5), 0);
    const int hi = std::min(static_cast<int>(center + support + 0.5), inSize);
    double sum = 0.0;
    for (int i = lo; i < hi; ++i) sum += w[i - lo] = triangle((i - center + 0.5) * inverseScale);
    for (int i = lo; i < hi; ++i) {
      const double normalized = sum != 0.0 ? w[i - lo] / sum : w[i - lo];
      const double fixed = normalized * (1 << kPrecisionBits);
      t.weights[static_cast<size_t>(o) * t.width + (i - lo)] = static_cast<int32_t>(fixed < 0 ? fixed - 0.5 : fixed + 0.5);
    }
    t.first[o] = lo;
    t.count[o] = hi - lo;
  }
  return t;
}

uint8_t roundToByte(int32_t sum) { return static_cast<uint8_t>(std::clamp(sum >> kPrecisionBits, 0, 255)); }

cv::Mat resampleRows(const cv::Mat& in, const Taps& taps, int width) {
  const int channels = in.channels();
  cv::Mat out(in.rows, width, in.type());
  for (int y = 0; y < in.rows; ++y) {
    const uint8_t* src = in.ptr<uint8_t>(y);
    uint8_t* dst = out.ptr<uint8_t>(y);
    for (int o = 0; o < width; ++o) {
      const int32_t* w = &taps.weights[static_cast<size_t>(o) * taps.width];
      const uint8_t* first = src + static_cast<size_t>(taps.first[o]) * channels;
      for (int c = 0; c < channels; ++c) {
        int32_t sum = 1 << (kPrecisionBits - 1);  // rounds the shift to nearest
        for (int k = 0; k < taps.count[o]; ++k) sum += first[k * channels + c] * w[k];
        dst[o * channels + c] = roundToByte(sum);
      }
    }
  }
  return out;
}

// Row by row so that the inner loop runs along contiguous samples.
cv::Mat resampleColumns(const cv::Mat& in, const Taps& taps, int height) {
  cv::Mat out(height, in.cols, in.type());
  const int length = in.cols * in.channels();
  std::vector<int32_t> sums(length);
  for (int o = 0; o < height; ++o) {
    std::fill(sums.begin(), sums.end(), 1 << (kPrecisionBits - 1));
    const int32_t* w = &taps.weights[static_cast<size_t>(o) * taps.width];
    for (int k = 0; k < taps.count[o]; ++k) {
      const uint8_t* src = in.ptr<uint8_t>(taps.first[o] + k);
      for (int x = 0; x < length; ++x) sums[x] += src[x] * w[k];
    }
    uint8_t* dst = out.ptr<uint8_t>(o);
    for (int x = 0; x < length; ++x) dst[x] = roundToByte(sums[x]);
  }
  return out;
}

}  // namespace

cv::Mat pillowResizeBilinear(const cv::Mat& image, int width, int height) {
  FGQ_CHECK(image.depth() == CV_8U && !image.empty() && width > 0 && height > 0,
            "resampling takes a non-empty 8-bit image and a positive size, found " << width << "x" << height);
  cv::Mat out = image;
  if (width != image.cols) out = resampleRows(out, precomputeTaps(image.cols, width), width);
  if (height != image.rows) out = resampleColumns(out, precomputeTaps(image.rows, height), height);
  return out;
}

}  // namespace fgq
