#include "data/ImageDecoding.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "data/JpegDecoder.h"

namespace fgq {
namespace {

// Pillow's MULDIV255: a * b / 255, rounded, in integers.
int mulDiv255(int a, int b) {
  const int t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

// Pillow reads a JPEG's CMYK inverted ("CMYK;I") and converts with k applied to each ink.
cv::Mat invertedCmykToRgb(const cv::Mat& cmyk) {
  cv::Mat rgb(cmyk.rows, cmyk.cols, CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const uint8_t* in = cmyk.ptr<uint8_t>(y);
    uint8_t* out = rgb.ptr<uint8_t>(y);
    for (int x = 0; x < cmyk.cols; ++x, in += 4, out += 3) {
      const int notBlack = in[3];  // 255 - k, k being inverted in the file
      for (int c = 0; c < 3; ++c) out[c] = static_cast<uint8_t>(notBlack - mulDiv255(255 - in[c], notBlack));
    }
  }
  return rgb;
}

// Pillow opens 16-bit gray PNGs as 32-bit integers (mode I), which clip to 255 in RGB; 16-bit color
// keeps the most significant byte of each sample.
cv::Mat sixteenBitToEightBit(const cv::Mat& image) {
  cv::Mat out(image.rows, image.cols, CV_8UC(image.channels()));
  const bool clip = image.channels() == 1;
  for (int y = 0; y < image.rows; ++y) {
    const uint16_t* in = image.ptr<uint16_t>(y);
    uint8_t* o = out.ptr<uint8_t>(y);
    for (int x = 0; x < image.cols * image.channels(); ++x) o[x] = static_cast<uint8_t>(clip ? std::min<int>(in[x], 255) : in[x] >> 8);
  }
  return out;
}

// Pillow's RGB -> L: (19595 r + 38470 g + 7471 b + 2^15) >> 16; exact for gray, whose channels are equal.
cv::Mat pillowGray(const cv::Mat& rgb) {
  cv::Mat gray(rgb.rows, rgb.cols, CV_8UC1);
  for (int y = 0; y < rgb.rows; ++y) {
    const uint8_t* in = rgb.ptr<uint8_t>(y);
    uint8_t* out = gray.ptr<uint8_t>(y);
    for (int x = 0; x < rgb.cols; ++x, in += 3) out[x] = static_cast<uint8_t>((in[0] * 19595 + in[1] * 38470 + in[2] * 7471 + 0x8000) >> 16);
  }
  return gray;
}

cv::Mat openCvImage(const std::string& path, int64_t channels) {
  cv::Mat image = cv::imread(path, channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
  if (!image.empty() && channels == 3) cv::cvtColor(image, image, cv::COLOR_BGR2RGB);
  return image;
}

cv::Mat pillowRgb(const std::string& path) {
  if (isJpegFile(path)) {
    cv::Mat raw = decodeJpeg(path);
    if (raw.empty() || raw.channels() == 3) return raw;
    if (raw.channels() == 4) return invertedCmykToRgb(raw);
    cv::cvtColor(raw, raw, cv::COLOR_GRAY2RGB);
    return raw;
  }
  cv::Mat raw = cv::imread(path, cv::IMREAD_UNCHANGED);  // as stored: palettes expanded to BGR(A), no rotation
  if (raw.empty()) return raw;
  if (raw.depth() == CV_16U) raw = sixteenBitToEightBit(raw);
  if (raw.depth() != CV_8U) return openCvImage(path, 3);  // float TIFFs: Pillow cannot open them as RGB
  switch (raw.channels()) {
    case 1: cv::cvtColor(raw, raw, cv::COLOR_GRAY2RGB); return raw;
    case 3: cv::cvtColor(raw, raw, cv::COLOR_BGR2RGB); return raw;
    case 4: cv::cvtColor(raw, raw, cv::COLOR_BGRA2RGB); return raw;
    default: return cv::Mat();
  }
}

}  // namespace

cv::Mat decodeImage(const std::string& path, int64_t channels, Preprocessing preprocessing) {
  if (preprocessing == Preprocessing::opencv) return openCvImage(path, channels);
  cv::Mat rgb = pillowRgb(path);
  return channels == 1 && !rgb.empty() ? pillowGray(rgb) : rgb;
}

}  // namespace fgq
