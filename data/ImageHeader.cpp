#include "data/ImageHeader.h"

#include <stb/stb_image.h>
#include <tiffio.h>
#include <webp/decode.h>

#include <cctype>
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

std::string readHead(const std::string& path, size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string head(bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(bytes));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

enum class Format { unknown, png, webp, tiff, stb };

// The signatures as OpenCV's own decoders check them, none a prefix of another's: OpenCV hands a file
// to the first decoder whose signature matches, so a file passing this test reaches the decoder named
// here and never the others it carries (DICOM, JPEG 2000, OpenEXR, GDAL), which fgq does not read.
Format formatOf(const std::string& head) {
  auto at = [&](size_t offset, std::string_view magic) { return head.size() >= offset + magic.size() && head.compare(offset, magic.size(), magic) == 0; };
  if (at(0, "\x89PNG\r\n\x1a\n")) return Format::png;
  if (at(0, "RIFF") && at(8, "WEBP")) return Format::webp;
  if (at(0, std::string_view("II*\0", 4)) || at(0, std::string_view("MM\0*", 4)) || at(0, std::string_view("II+\0", 4)) ||
      at(0, std::string_view("MM\0+", 4)))
    return Format::tiff;
  if (at(0, "\xff\xd8\xff") || at(0, "BM")) return Format::stb;  // JPEG, BMP
  const bool pnm = head.size() >= 3 && head[0] == 'P' && head[1] >= '1' && head[1] <= '6' && std::isspace(static_cast<unsigned char>(head[2]));
  return pnm ? Format::stb : Format::unknown;
}

}  // namespace

std::optional<ImageSize> readImageSize(const std::string& path) {
  switch (formatOf(readHead(path, 12))) {
    case Format::png: return pngSize(path);
    case Format::webp: return webpSize(path);
    case Format::tiff: return tiffSize(path);
    case Format::stb: {
      int width = 0, height = 0, channels = 0;
      if (stbi_info(path.c_str(), &width, &height, &channels)) return ImageSize{width, height};
      return std::nullopt;
    }
    case Format::unknown: return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace fgq
