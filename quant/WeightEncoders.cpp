#include "quant/WeightEncoders.h"

#include <algorithm>
#include <cmath>

namespace fgq {

QuantizedWeights ternarize(const Tensor& weightIn, const GroupSpec& spec, TernarySolver solver) {
  const Tensor weight = weightIn.plain();
  const WeightGroups groups(weight.shape(), spec);
  QuantizedWeights q;
  q.format = &weightFormat(WeightFormatId::kTernary);
  q.bits = q.format->codeBits;
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
  q.format = &weightFormat(WeightFormatId::kInt8);
  q.bits = q.format->codeBits;
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

}  // namespace fgq
