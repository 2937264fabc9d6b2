#include "data/JpegDecoder.h"

#include <csetjmp>
#include <cstdio>
#include <fstream>
// libjpeg's header needs FILE and size_t declared first.
#include <jerror.h>
#include <jpeglib.h>

namespace fgq {
namespace {

struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  bool truncated = false;
};

[[noreturn]] void onError(j_common_ptr info) { std::longjmp(reinterpret_cast<ErrorManager*>(info->err)->jump, 1); }

// Warnings (extraneous bytes, corrupt data libjpeg recovers from) are decoded through, as Pillow does;
// a premature end of file is not (Pillow refuses a truncated image).
void onMessage(j_common_ptr info, int level) {
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) reinterpret_cast<ErrorManager*>(info->err)->truncated = true;
}

struct Decompressor {
  jpeg_decompress_struct info{};
  ErrorManager error;
  std::FILE* file = nullptr;

  explicit Decompressor(const std::string& path) : file(std::fopen(path.c_str(), "rb")) {
    info.err = jpeg_std_error(&error.base);
    error.base.error_exit = onError;
    error.base.emit_message = onMessage;
    jpeg_create_decompress(&info);
  }
  ~Decompressor() {
    jpeg_destroy_decompress(&info);
    if (file) std::fclose(file);
  }
};

// No C++ object lives in this frame, so a longjmp out of libjpeg skips no destructor.
bool readPixels(Decompressor& d, cv::Mat& out) {
  if (setjmp(d.error.jump)) return false;
  jpeg_stdio_src(&d.info, d.file);
  jpeg_read_header(&d.info, TRUE);
  const J_COLOR_SPACE space = d.info.num_components == 1 ? JCS_GRAYSCALE : d.info.num_components == 4 ? JCS_CMYK : JCS_RGB;
  d.info.out_color_space = space;
  jpeg_start_decompress(&d.info);
  out.create(static_cast<int>(d.info.output_height), static_cast<int>(d.info.output_width), CV_8UC(d.info.output_components));
  while (d.info.output_scanline < d.info.output_height) {
    JSAMPROW row = out.ptr<uint8_t>(static_cast<int>(d.info.output_scanline));
    jpeg_read_scanlines(&d.info, &row, 1);
  }
  jpeg_finish_decompress(&d.info);
  return !d.error.truncated;
}

}  // namespace

bool isJpegFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char magic[3] = {};
  return in.read(reinterpret_cast<char*>(magic), 3) && magic[0] == 0xFF && magic[1] == 0xD8 && magic[2] == 0xFF;
}

cv::Mat decodeJpeg(const std::string& path) {
  Decompressor d(path);
  cv::Mat pixels;
  if (!d.file || !readPixels(d, pixels)) return cv::Mat();
  return pixels;
}

}  // namespace fgq
