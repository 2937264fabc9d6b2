#include "quant/FakeQuantize.h"

#include <cmath>

namespace fgq {
namespace {

int64_t storageElements(const Tensor& t) { return static_cast<int64_t>(t.bytes() / sizeof(float)); }

}  // namespace

Tensor quantizeCodes(const Tensor& xIn, float scale, float lo, float hi) {
  const Tensor x = xIn.plain();
  Tensor codes = Tensor::empty(x.shape());
  const float* s = x.data<float>();
  float* d = codes.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) d[i] = std::clamp(std::nearbyint(s[i] / scale), lo, hi);
  return codes;
}

Variable fakeQuantize(const Variable& x, float scale, float lo, float hi) {
  FGQ_CHECK(x.dtype() == DType::kF32, "fake quantization of a " << dtypeName(x.dtype()) << " tensor");
  FGQ_CHECK(scale > 0 && lo <= hi, "fake quantization with scale " << scale << " and range [" << lo << ", " << hi << "]");
  const Tensor& in = x.tensor();
  Tensor out = Tensor::emptyLike(in);
  const float* s = static_cast<const float*>(in.raw());
  float* d = static_cast<float*>(out.raw());
  const int64_t n = storageElements(in);
#pragma omp parallel for if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) d[i] = std::clamp(std::nearbyint(s[i] / scale), lo, hi) * scale;
  return Variable(out, {x}, [in, scale, lo, hi](std::vector<Variable>& inputs, const Tensor& gyIn) {
    Tensor gy = gyIn;
    if (!gy.sameLayout(in)) {
      gy = Tensor::emptyLike(in);
      gy.copyFrom(gyIn);
    }
    Tensor gx = Tensor::emptyLike(in);
    const float* xs = static_cast<const float*>(in.raw());
    const float* g = static_cast<const float*>(gy.raw());
    float* d = static_cast<float*>(gx.raw());
    const int64_t n = storageElements(in);
#pragma omp parallel for if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) {
      const float r = std::nearbyint(xs[i] / scale);  // as PyTorch's fake_quantize: by the rounded value
      d[i] = (r >= lo && r <= hi) ? g[i] : 0.f;
    }
    inputs[0].addGrad(gx);
  });
}

}  // namespace fgq
