#include "data/Transforms.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

#include "core/Error.h"
#include "data/PillowResample.h"

namespace fgq {
namespace {

cv::Mat resize(const cv::Mat& image, int width, int height, Preprocessing preprocessing) {
  if (preprocessing == Preprocessing::torchvision) return pillowResizeBilinear(image, width, height);
  cv::Mat out;
  cv::resize(image, out, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
  return out;
}

// torchvision's Resize(int): the shorter side becomes `size`, the longer int(size * long / short).
cv::Mat resizeShorterSide(const cv::Mat& image, int64_t size, Preprocessing preprocessing) {
  const bool wide = image.cols >= image.rows;
  const int64_t shorter = wide ? image.rows : image.cols, longer = wide ? image.cols : image.rows;
  const int scaled = static_cast<int>(static_cast<double>(size * longer) / static_cast<double>(shorter));
  const int side = static_cast<int>(size);
  if ((wide ? scaled : side) == image.cols && (wide ? side : scaled) == image.rows) return image;
  return wide ? resize(image, scaled, side, preprocessing) : resize(image, side, scaled, preprocessing);
}

// torchvision's offset: int(round((image - crop) / 2.0)), Python rounding half to even.
int centerOffset(int image, int64_t crop) { return static_cast<int>(std::nearbyint((image - crop) / 2.0)); }

cv::Mat centerCrop(const cv::Mat& image, int64_t size) {
  FGQ_CHECK(image.rows >= size && image.cols >= size,
            "center crop of " << size << " from a " << image.cols << "x" << image.rows << " image");
  return image(cv::Rect(centerOffset(image.cols, size), centerOffset(image.rows, size), static_cast<int>(size), static_cast<int>(size)));
}

// torchvision's RandomResizedCrop: ten tries at a random area and aspect ratio, else a center crop.
cv::Mat randomResizedCrop(const cv::Mat& image, const RandomResizedCrop& o, Preprocessing preprocessing, Random& random) {
  const double area = static_cast<double>(image.rows) * image.cols;
  cv::Rect box(0, 0, image.cols, image.rows);
  bool found = false;
  for (int attempt = 0; attempt < 10 && !found; ++attempt) {
    const double target = area * random.uniform(o.minScale, o.maxScale);
    const double ratio = std::exp(random.uniform(std::log(o.minRatio), std::log(o.maxRatio)));
    const int w = static_cast<int>(std::lround(std::sqrt(target * ratio)));
    const int h = static_cast<int>(std::lround(std::sqrt(target / ratio)));
    if (w > 0 && h > 0 && w <= image.cols && h <= image.rows) {
      box = cv::Rect(static_cast<int>(random.below(image.cols - w + 1)), static_cast<int>(random.below(image.rows - h + 1)), w, h);
      found = true;
    }
  }
  if (!found) {
    const int side = std::min(image.rows, image.cols);
    box = cv::Rect((image.cols - side) / 2, (image.rows - side) / 2, side, side);
  }
  return resize(image(box), static_cast<int>(o.size), static_cast<int>(o.size), preprocessing);
}

cv::Mat randomCrop(const cv::Mat& image, const RandomCrop& o, Random& random) {
  cv::Mat padded = image;
  if (o.padding > 0) {
    const int p = static_cast<int>(o.padding);
    cv::copyMakeBorder(image, padded, p, p, p, p, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  }
  FGQ_CHECK(padded.rows >= o.size && padded.cols >= o.size,
            "random crop of " << o.size << " from a " << padded.cols << "x" << padded.rows << " image");
  const int top = static_cast<int>(random.below(padded.rows - o.size + 1));
  const int left = static_cast<int>(random.below(padded.cols - o.size + 1));
  return padded(cv::Rect(left, top, static_cast<int>(o.size), static_cast<int>(o.size)));
}

}  // namespace

cv::Mat resizeAndCrop(const cv::Mat& input, const TransformOptions& o, Random& random) {
  FGQ_CHECK(input.depth() == CV_8U && !input.empty(), "transforms take a non-empty 8-bit image");
  cv::Mat image = input;
  if (o.resize) image = resizeShorterSide(image, *o.resize, o.preprocessing);
  if (o.centerCrop) image = centerCrop(image, *o.centerCrop);
  if (o.randomResizedCrop) image = randomResizedCrop(image, *o.randomResizedCrop, o.preprocessing, random);
  if (o.randomCrop) image = randomCrop(image, *o.randomCrop, random);
  return image;
}

Tensor applyTransforms(const cv::Mat& input, const TransformOptions& o, Random& random) {
  cv::Mat image = resizeAndCrop(input, o, random);
  if (o.horizontalFlip && random.uniform() < 0.5) {
    cv::Mat flipped;
    cv::flip(image, flipped, 1);
    image = flipped;
  }
  const int channels = image.channels();
  FGQ_CHECK(o.mean.empty() || (static_cast<int>(o.mean.size()) == channels && o.std.size() == o.mean.size()),
            "normalization has " << o.mean.size() << " means and " << o.std.size() << " stds for a " << channels
                                 << "-channel image");
  Tensor out = Tensor::empty({channels, image.rows, image.cols});
  float* d = out.data<float>();
  const int64_t plane = static_cast<int64_t>(image.rows) * image.cols;
  for (int y = 0; y < image.rows; ++y) {
    const uint8_t* row = image.ptr<uint8_t>(y);
    for (int x = 0; x < image.cols; ++x)
      for (int c = 0; c < channels; ++c) {
        double v = row[x * channels + c] / 255.0;
        if (!o.mean.empty()) v = (v - o.mean[c]) / o.std[c];
        d[c * plane + static_cast<int64_t>(y) * image.cols + x] = static_cast<float>(v);
      }
  }
  return out;
}

}  // namespace fgq
