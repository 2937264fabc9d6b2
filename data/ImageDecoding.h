#pragma once
// An image file decoded to 8-bit RGB (or gray) the way a preprocessing pipeline sees it:
// - torchvision: as its ImageFolder loader, PIL's Image.open(path).convert("RGB") (or "L"): JPEG through
//   libjpeg with Pillow's settings and CMYK inverted as Adobe writes it; no EXIF rotation; palettes
//   expanded; 16-bit gray clipped to 255 and 16-bit color cut to its high byte, as Pillow converts them;
//   alpha dropped; gray from RGB with Pillow's integer weights (299, 587, 114 per mille).
// - opencv: cv::imread's own conversions (EXIF-rotated, 16-bit scaled, OpenCV's CMYK and gray weights).
#include <opencv2/core.hpp>
#include <string>

#include "data/Transforms.h"

namespace fgq {

// u8 with `channels` (1 or 3) channels in RGB order; an empty Mat when the file cannot be decoded.
cv::Mat decodeImage(const std::string& path, int64_t channels, Preprocessing preprocessing);

}  // namespace fgq
