#pragma once
// An int8 conv or inner product on oneDNN (u8 or s8 input codes x s8 weights, one output scale per
// channel): the layers FGQ keeps at 8 bits, ternary layers folded to int8, and ternary layers with one
// alpha per filter, which need no folding (infer/Int8Weights.h).
// oneDNN computes dst = scale_k * (acc + bias_k), so bias_k = shift_k / scale_k. Where only codes
// leave the layer they are its destination (scale over the next input scale, clipped to the code
// range, rounded by oneDNN); else f32 values are, with the residual added by a sum post-op, and the
// codes, when also wanted, are quantized from them.
#include <map>

#include "infer/Int8Weights.h"
#include "infer/Step.h"
#include "layers/onednn/Context.h"

namespace fgq::infer {

class OnednnInt8Step : public Step {
 public:
  explicit OnednnInt8Step(LayerSpec spec);
  void run(Workspace& workspace) override;
  std::string describe() const override { return description_; }
  int64_t macsPerImage() const override { return layerMacsPerImage(spec_); }
  std::vector<int> buffers() const override { return layerBuffers(spec_); }

 private:
  struct Compiled {
    dnnl::primitive primitive;
    dnnl::memory::desc src, dst, scratchpad;
    dnnl::memory weights;
  };
  Compiled compile(int64_t batch) const;
  bool codesOnly() const { return spec_.values < 0 && spec_.residual < 0; }

  LayerSpec spec_;  // its weights are read by the constructor only
  std::string description_;
  Int8Weights weights_;
  std::vector<float> outputScales_, bias_;
  std::map<int64_t, Compiled> compiled_;  // per batch size
};

}  // namespace fgq::infer
