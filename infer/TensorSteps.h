#pragma once
// The steps between layers, on NHWC buffers of [N, H, W, C] per value: quantizing values (or the
// model's NCHW input images) to a layer's input codes, max pooling (on codes, with which it commutes,
// or on values), adaptive average pooling and flatten (on values, in f32).
#include "infer/Step.h"
#include "layers/ops/Params.h"

namespace fgq::infer {

struct Extent {
  int64_t h = 1, w = 1, c = 1;
  int64_t size() const { return h * w * c; }
};

// Quantizes `count` f32 values to codes of `format`.
void quantizeValues(const float* values, int64_t count, const CodeFormat& format, uint8_t* codes);

class QuantizeStep : public Step {
 public:
  // `fromImages`: the input is the model's [N, C, H, W] images, not NHWC values.
  QuantizeStep(std::string what, int values, Extent extent, CodeFormat format, int codes, bool fromImages);
  void run(Workspace& workspace) override;
  std::string describe() const override;
  std::vector<int> buffers() const override { return {values_, codes_}; }

 private:
  std::string what_;
  int values_, codes_;
  Extent extent_;
  CodeFormat format_;
  bool fromImages_;
};

class MaxPoolStep : public Step {
 public:
  // `element`: 'f' for f32 values, 'u' / 's' for u8 / s8 codes.
  MaxPoolStep(std::string name, const Pool2dParams& params, Extent in, Extent out, int input, int output, char element);
  void run(Workspace& workspace) override;
  std::string describe() const override;
  std::vector<int> buffers() const override { return {input_, output_}; }

 private:
  template <typename T>
  void pool(const T* in, T* out, int64_t batch) const;
  std::string name_;
  Pool2dParams params_;
  Extent in_, out_;
  int input_, output_;
  char element_;
};

// PyTorch's bins: output i averages input rows floor(i H / OH) to ceil((i + 1) H / OH) - 1.
class AdaptiveAvgPoolStep : public Step {
 public:
  AdaptiveAvgPoolStep(Extent in, Extent out, int input, int output);
  void run(Workspace& workspace) override;
  std::string describe() const override;
  std::vector<int> buffers() const override { return {input_, output_}; }

 private:
  Extent in_, out_;
  int input_, output_;
};

// NHWC to the NCHW order flatten gives in the FP32 model (c, h, w). A 1x1 image needs no step.
class FlattenStep : public Step {
 public:
  FlattenStep(Extent in, int input, int output);
  void run(Workspace& workspace) override;
  std::string describe() const override;
  std::vector<int> buffers() const override { return {input_, output_}; }

 private:
  Extent in_;
  int input_, output_;
};

}  // namespace fgq::infer
