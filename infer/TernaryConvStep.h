#pragma once
// A ternary conv or inner product run exactly (infer/TernaryConv.h): on AMX where the CPU has it and
// the layer fits it, else the VNNI kernel; or the scalar twin when asked. Codes are packed once, here; an input the conv pads (or whose channels are not a
// multiple of 4) is copied into a padded buffer of its own first, whose zero border never changes.
#include "infer/Step.h"

namespace fgq::infer {

class TernaryConvStep : public Step {
 public:
  TernaryConvStep(LayerSpec spec, BufferPlan& plan, bool scalar);
  void run(Workspace& workspace) override;
  std::string describe() const override { return description_; }
  int64_t macsPerImage() const override { return layerMacsPerImage(spec_); }
  std::vector<int> buffers() const override;

 private:
  const uint8_t* paddedInput(Workspace& workspace, const ConvGeometry& g);

  LayerSpec spec_;  // its weights are read by the constructor only
  std::string description_;
  PackedTernary packed_;
  std::vector<float> scale_;  // per output channel: input scale x batch-norm scale
  int padded_ = -1;
  enum class Kernel { kScalar, kVnni, kAmx } kernel_;
};

}  // namespace fgq::infer
