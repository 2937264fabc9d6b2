#pragma once
// A quantizer with fixed integer parameters, as an exported VBD model runs its activations:
// scale * clamp(round(x / scale), lo, hi), with lo and hi integers (any zero point). Buffers "scale",
// "lo", "hi".
#include "layers/Module.h"
#include "quant/FakeQuantize.h"

namespace fgq {

class FixedQuantizer : public Module {
 public:
  FixedQuantizer(float scale, float lo, float hi)
      : scale_(Tensor::full({}, scale)), lo_(Tensor::full({}, lo)), hi_(Tensor::full({}, hi)) {
    registerBuffer("scale", &scale_);
    registerBuffer("lo", &lo_);
    registerBuffer("hi", &hi_);
  }
  Variable forward(const Variable& x) override { return fakeQuantize(x, scale(), lo(), hi()); }
  float scale() const { return scale_.data<float>()[0]; }
  float lo() const { return lo_.data<float>()[0]; }
  float hi() const { return hi_.data<float>()[0]; }

 private:
  Tensor scale_, lo_, hi_;
};

}  // namespace fgq
