#include "data/ImageHeader.h"

#include <stb/stb_image.h>
#include <tiffio.h>
#include <webp/decode.h>

#include <fstream>
#include <string_view>
#include <vector>

namespace fgq {
namespace {

std::optional<ImageSize> webpSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> head(64);  // the RIFF header and the first chunk's dimensions
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  int width = 0, height = 0;
  if (!WebPGetInfo(head.data(), static_cast<size_t>(in.gcount()), &width, &height)) return std::nullopt;
  return ImageSize{width, height};
}

std::optional<ImageSize> tiffSize(const std::string& path) {
  TIFFSetErrorHandler(nullptr);  // libtiff prints to stderr by default; the caller names the file
  TIFFSetWarningHandler(nullptr);
  TIFF* tiff = TIFFOpen(path.c_str(), "r");
  if (!tiff) return std::nullopt;
  uint32_t width = 0, height = 0;
  const bool known = TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width) == 1 && TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height) == 1;
  TIFFClose(tiff);
  if (!known) return std::nullopt;
  return ImageSize{width, height};
}

// The IHDR chunk comes first and at a fixed place (PNG spec 5.2, 11.2.2): stb's header reader refuses
// images over 2^30 bytes as corrupt, which would hide the size behind "cannot decode".
std::optional<ImageSize> pngSize(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint8_t head[24] = {};
  in.read(reinterpret_cast<char*>(head), sizeof head);
  if (in.gcount() != sizeof head || std::string_view(reinterpret_cast<const char*>(head + 12), 4) != "IHDR") return std::nullopt;
  auto bigEndian = [&](int at) { return int64_t{head[at]} << 24 | int64_t{head[at + 1]} << 16 | int64_t{head[at + 2]} << 8 | head[at + 3]; };
  return ImageSize{bigEndian(16), bigEndian(20)};
}

bool startsWith(const std::string& path, std::string_view magic) {
  std::ifstream in(path, std::ios::binary);
  std::string head(magic.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return in.gcount() == static_cast<std::streamsize>(magic.size()) && head == magic;
}

}  // namespace

std::optional<ImageSize> readImageSize(const std::string& path) {
  // The magic numbers first: stb's TGA test is loose enough to take other formats' headers for TGA.
  if (startsWith(path, "\x89PNG\r\n\x1a\n")) return pngSize(path);
  if (startsWith(path, "RIFF")) return webpSize(path);
  if (startsWith(path, "II*") || startsWith(path, "MM")) return tiffSize(path);
  int width = 0, height = 0, channels = 0;
  if (stbi_info(path.c_str(), &width, &height, &channels)) return ImageSize{width, height};
  return std::nullopt;
}

}  // namespace fgq
