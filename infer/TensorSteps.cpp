#include "infer/TensorSteps.h"

#include <algorithm>
#include <limits>
#include <vector>

namespace fgq::infer {

namespace {

std::string extentString(const Extent& e) { return std::to_string(e.h) + "x" + std::to_string(e.w) + "x" + std::to_string(e.c); }

}  // namespace

void quantizeValues(const float* values, int64_t count, const CodeFormat& format, uint8_t* codes) {
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) codes[i] = format.encode(values[i]);
}

QuantizeStep::QuantizeStep(std::string what, int values, Extent extent, CodeFormat format, int codes, bool fromImages)
    : what_(std::move(what)), values_(values), codes_(codes), extent_(extent), format_(format), fromImages_(fromImages) {}

void QuantizeStep::run(Workspace& ws) {
  const float* in = ws.floats(values_);
  uint8_t* out = ws.bytes(codes_);
  const int64_t pixels = extent_.h * extent_.w, c = extent_.c, count = ws.batch() * extent_.size();
  if (!fromImages_) return quantizeValues(in, count, format_, out);
  // NCHW in, NHWC out, one row of one image at a time: each channel's row is encoded on its own (a loop
  // GCC vectorizes), then the channels are interleaved. Rows, not planes, are what the threads share: an
  // image has 3 planes, and writing a plane's codes 3 bytes apart did not vectorize (6.2 ms against
  // 0.9 ms for ResNet-50's batch of 16).
  const int64_t w = extent_.w, rows = ws.batch() * extent_.h;
#pragma omp parallel
  {
    std::vector<uint8_t> row(static_cast<size_t>(c * w));
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t n = r / extent_.h, y = r % extent_.h;
      for (int64_t ch = 0; ch < c; ++ch) {
        const float* from = in + (n * c + ch) * pixels + y * w;
        uint8_t* to = row.data() + ch * w;
        for (int64_t x = 0; x < w; ++x) to[x] = format_.encode(from[x]);
      }
      uint8_t* to = out + r * w * c;
      for (int64_t x = 0; x < w; ++x)
        for (int64_t ch = 0; ch < c; ++ch) to[x * c + ch] = row[static_cast<size_t>(ch * w + x)];
    }
  }
}

std::string QuantizeStep::describe() const {
  return what_ + ": quantize to " + (format_.isSigned() ? "s8" : "u8") + " codes in [" + std::to_string(static_cast<int>(format_.lo)) + ", " +
         std::to_string(static_cast<int>(format_.hi)) + "]" + (fromImages_ ? " (from the NCHW images)" : "");
}

MaxPoolStep::MaxPoolStep(std::string name, const Pool2dParams& params, Extent in, Extent out, int input, int output, char element)
    : name_(std::move(name)), params_(params), in_(in), out_(out), input_(input), output_(output), element_(element) {}

template <typename T>
void MaxPoolStep::pool(const T* in, T* out, int64_t batch) const {
  const int64_t rows = batch * out_.h, c = in_.c;
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t n = row / out_.h, oy = row % out_.h;
    for (int64_t ox = 0; ox < out_.w; ++ox) {
      T* __restrict o = out + ((n * out_.h + oy) * out_.w + ox) * c;
      std::fill(o, o + c, std::numeric_limits<T>::lowest());
      for (int64_t r = 0; r < params_.kernel[0]; ++r) {
        const int64_t y = oy * params_.stride[0] - params_.padding[0] + r;
        if (y < 0 || y >= in_.h) continue;  // padding never wins a max
        for (int64_t s = 0; s < params_.kernel[1]; ++s) {
          const int64_t x = ox * params_.stride[1] - params_.padding[1] + s;
          if (x < 0 || x >= in_.w) continue;
          const T* __restrict i = in + ((n * in_.h + y) * in_.w + x) * c;
          for (int64_t k = 0; k < c; ++k) o[k] = std::max(o[k], i[k]);
        }
      }
    }
  }
}

void MaxPoolStep::run(Workspace& ws) {
  switch (element_) {
    case 'f': return pool(ws.floats(input_), ws.floats(output_), ws.batch());
    case 's': return pool(reinterpret_cast<const int8_t*>(ws.bytes(input_)), reinterpret_cast<int8_t*>(ws.bytes(output_)), ws.batch());
    default: return pool(ws.bytes(input_), ws.bytes(output_), ws.batch());
  }
}

std::string MaxPoolStep::describe() const {
  const char* on = element_ == 'f' ? "f32 values" : element_ == 's' ? "s8 codes" : "u8 codes";
  return name_ + ": max pool " + params_.str() + " on " + on + ", " + extentString(in_) + " -> " + extentString(out_);
}

AdaptiveAvgPoolStep::AdaptiveAvgPoolStep(Extent in, Extent out, int input, int output) : in_(in), out_(out), input_(input), output_(output) {}

void AdaptiveAvgPoolStep::run(Workspace& ws) {
  const float* in = ws.floats(input_);
  float* out = ws.floats(output_);
  const int64_t rows = ws.batch() * out_.h, c = in_.c;
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t n = row / out_.h, oy = row % out_.h;
    const int64_t y0 = oy * in_.h / out_.h, y1 = ((oy + 1) * in_.h + out_.h - 1) / out_.h;
    for (int64_t ox = 0; ox < out_.w; ++ox) {
      const int64_t x0 = ox * in_.w / out_.w, x1 = ((ox + 1) * in_.w + out_.w - 1) / out_.w;
      float* o = out + ((n * out_.h + oy) * out_.w + ox) * c;
      std::fill(o, o + c, 0.0f);
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t x = x0; x < x1; ++x) {
          const float* i = in + ((n * in_.h + y) * in_.w + x) * c;
          for (int64_t k = 0; k < c; ++k) o[k] += i[k];
        }
      const float count = static_cast<float>((y1 - y0) * (x1 - x0));
      for (int64_t k = 0; k < c; ++k) o[k] /= count;
    }
  }
}

std::string AdaptiveAvgPoolStep::describe() const { return "adaptive average pool on f32 values, " + extentString(in_) + " -> " + extentString(out_); }

FlattenStep::FlattenStep(Extent in, int input, int output) : in_(in), input_(input), output_(output) {}

void FlattenStep::run(Workspace& ws) {
  const float* in = ws.floats(input_);
  float* out = ws.floats(output_);
  const int64_t pixels = in_.h * in_.w, count = ws.batch() * in_.size();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < count; ++i) {  // i runs over the NCHW output
    const int64_t n = i / in_.size(), channel = (i / pixels) % in_.c, p = i % pixels;
    out[i] = in[(n * pixels + p) * in_.c + channel];
  }
}

std::string FlattenStep::describe() const { return "flatten " + extentString(in_) + " to (c, h, w) order"; }

}  // namespace fgq::infer
