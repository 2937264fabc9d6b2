#include "quant/QuantizedWeights.h"

#include <algorithm>
#include <cmath>

namespace fgq {

QuantizedWeights ternarize(const Tensor& weightIn, const GroupSpec& spec, TernarySolver solver) {
  const Tensor weight = weightIn.plain();
  const WeightGroups groups(weight.shape(), spec);
  QuantizedWeights q;
  q.format = &ternaryFormat();
  q.shape = weight.shape();
  q.groups = spec;
  q.solver = solver;
  q.codes.assign(weight.numel(), 0);
  q.scales.resize(groups.count());
  if (solver == TernarySolver::kTwoScale) q.negativeScales.resize(groups.count());
  const float* w = weight.data<float>();
  const int64_t stride = groups.stride();
#pragma omp parallel
  {
    std::vector<float> scratch(groups.maxLength());
    std::vector<int8_t> codes(groups.maxLength());
#pragma omp for schedule(static)
    for (int64_t g = 0; g < groups.count(); ++g) {
      const int64_t start = groups.start(g), n = groups.length(g);
      const TernaryScales s = solveTernaryGroup(solver, w + start, n, stride, codes.data(), scratch.data());
      q.scales[g] = s.positive;
      if (solver == TernarySolver::kTwoScale) q.negativeScales[g] = s.negative;
      for (int64_t i = 0; i < n; ++i) q.codes[start + i * stride] = codes[i];
    }
  }
  return q;
}

QuantizedWeights quantizeInt8PerChannel(const Tensor& weightIn) {
  const Tensor weight = weightIn.plain();
  QuantizedWeights q;
  q.format = &int8Format();
  q.shape = weight.shape();
  const int64_t k = weight.dim(0), perChannel = weight.numel() / k;
  q.codes.resize(weight.numel());
  q.scales.resize(k);
  const float* w = weight.data<float>();
  for (int64_t c = 0; c < k; ++c) {
    float maxAbs = 0;
    for (int64_t i = 0; i < perChannel; ++i) maxAbs = std::max(maxAbs, std::abs(w[c * perChannel + i]));
    const float scale = maxAbs > 0 ? maxAbs / 127.f : 1.f;
    q.scales[c] = scale;
    for (int64_t i = 0; i < perChannel; ++i)
      q.codes[c * perChannel + i] = static_cast<int8_t>(std::clamp(std::nearbyint(w[c * perChannel + i] / scale), -127.f, 127.f));
  }
  return q;
}

Tensor QuantizedWeights::dequantize() const {
  Tensor out = Tensor::empty(shape);
  float* d = out.data<float>();
  if (format == &int8Format()) {
    const int64_t perChannel = shape.numel() / shape[0];
    for (int64_t i = 0; i < shape.numel(); ++i) d[i] = static_cast<float>(codes[i]) * scales[i / perChannel];
    return out;
  }
  const WeightGroups groups(shape, this->groups);
  const int64_t stride = groups.stride();
#pragma omp parallel for schedule(static)
  for (int64_t g = 0; g < groups.count(); ++g) {
    const int64_t start = groups.start(g);
    const float positive = scales[g], negative = negativeScales.empty() ? scales[g] : negativeScales[g];
    for (int64_t i = 0; i < groups.length(g); ++i) {
      const int8_t c = codes[start + i * stride];
      d[start + i * stride] = c > 0 ? positive : (c < 0 ? -negative : 0.f);
    }
  }
  return out;
}

int64_t QuantizedWeights::storedBytes() const {
  const int64_t codeBytes = (static_cast<int64_t>(codes.size()) * format->bitsPerWeight + 7) / 8;
  return codeBytes + static_cast<int64_t>((scales.size() + negativeScales.size()) * sizeof(float));
}

}  // namespace fgq
