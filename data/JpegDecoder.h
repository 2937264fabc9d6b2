#pragma once
// JPEG decoding with libjpeg(-turbo), the library and settings Pillow uses (integer slow IDCT, fancy
// upsampling, no EXIF rotation), so that fgq's pixels equal what torchvision's loader sees. The
// components come back as stored: gray, RGB, or CMYK as libjpeg delivers it (Adobe files invert it).
#include <opencv2/core.hpp>
#include <string>

namespace fgq {

// True when the file starts with a JPEG's start-of-image marker (Pillow also tells formats by content).
bool isJpegFile(const std::string& path);

// 1, 3 or 4 channels of u8 (gray, RGB, CMYK); an empty Mat when the file is corrupt or truncated.
cv::Mat decodeJpeg(const std::string& path);

}  // namespace fgq
