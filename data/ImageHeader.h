#pragma once
// An image file's pixel count read from its header, without decoding it: a file claiming more pixels
// than a limit is refused before OpenCV allocates them (OpenCV's own limit, 2^30 pixels, lets a 30,000 x
// 30,000 PNG through to a 2.7 GB allocation, and can only be changed before the process starts).
#include <cstdint>
#include <optional>
#include <string>

namespace fgq {

inline constexpr int64_t kDefaultMaxImagePixels = int64_t{1} << 26;  // 8,192 x 8,192

struct ImageSize {
  int64_t width = 0, height = 0;
};

// The formats fgq reads, told by their signatures: PNG (its IHDR), JPEG, BMP and PNM (stb), WebP (libwebp),
// TIFF (libtiff). nullopt for any other file and for a header not understood: not an image to decode.
std::optional<ImageSize> readImageSize(const std::string& path);

}  // namespace fgq
