#include "infer/TernaryConvStep.h"

#include <cstring>

namespace fgq::infer {

TernaryConvStep::TernaryConvStep(LayerSpec spec, BufferPlan& plan, bool scalar)
    : spec_(std::move(spec)), packed_(*spec_.weights, spec_.geometry, spec_.name) {
  FGQ_CHECK(scalar || cpuHasVnni(), spec_.name << ": the exact ternary kernel needs AVX-512 VNNI, which this CPU lacks (the folded engine runs on oneDNN)");
  kernel_ = scalar ? Kernel::kScalar : (!spec_.input.isSigned() && cpuHasAmx() && amxFits(packed_)) ? Kernel::kAmx : Kernel::kVnni;
  for (float b : spec_.bnScale) scale_.push_back(spec_.input.scale * b);
  const ConvGeometry& g = spec_.geometry;
  if (g.padH > 0 || g.padW > 0 || g.paddedC() != g.inC) padded_ = plan.add(g.paddedH() * g.paddedW() * g.paddedC());
  description_ = spec_.name + ": ternary N=" + spec_.weights->groups.str() + " exact (" + (scalar ? "scalar twin" : kernel_ == Kernel::kAmx ? "AMX" : "AVX-512 VNNI") + "), " +
                 layerDataflow(spec_);
  spec_.weights = nullptr;
}

const uint8_t* TernaryConvStep::paddedInput(Workspace& ws, const ConvGeometry& g) {
  const uint8_t* input = ws.bytes(spec_.inputCodes);
  if (padded_ < 0) return input;
  uint8_t* padded = ws.bytes(padded_);
  const int64_t rows = g.batch * g.inH;
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t n = row / g.inH, y = row % g.inH;
    uint8_t* to = padded + ((n * g.paddedH() + y + g.padH) * g.paddedW() + g.padW) * g.paddedC();
    const uint8_t* from = input + row * g.inW * g.inC;
    if (g.paddedC() == g.inC) {  // a row's pixels are contiguous in both: one copy
      std::memcpy(to, from, static_cast<size_t>(g.inW * g.inC));
      continue;
    }
    for (int64_t x = 0; x < g.inW; ++x) std::memcpy(to + x * g.paddedC(), from + x * g.inC, static_cast<size_t>(g.inC));
  }
  return padded;
}

std::vector<int> TernaryConvStep::buffers() const {
  std::vector<int> ids = layerBuffers(spec_);
  if (padded_ >= 0) ids.push_back(padded_);
  return ids;
}

void TernaryConvStep::run(Workspace& ws) {
  ConvGeometry g = spec_.geometry;
  g.batch = ws.batch();
  const Epilogue e{scale_.data(),
                   spec_.shift.data(),
                   spec_.residual >= 0 ? ws.floats(spec_.residual) : nullptr,
                   spec_.relu,
                   spec_.values >= 0 ? ws.floats(spec_.values) : nullptr,
                   spec_.codes >= 0 ? ws.bytes(spec_.codes) : nullptr,
                   1.0f / spec_.codeFormat.scale,
                   spec_.codeFormat.lo,
                   spec_.codeFormat.hi};
  const uint8_t* input = paddedInput(ws, g);
  const auto kernel = kernel_ == Kernel::kScalar ? ternaryConvScalar : kernel_ == Kernel::kAmx ? ternaryConvAmx : ternaryConvVnni;
  kernel(packed_, g, input, spec_.input.isSigned(), e);
}


}  // namespace fgq::infer
