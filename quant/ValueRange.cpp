#include "quant/ValueRange.h"

#include <algorithm>
#include <cmath>

namespace fgq {

Tensor valuesInAnyOrder(const Tensor& x) {
  const bool padded = x.layout() && x.layout()->bytes() != static_cast<size_t>(x.numel()) * sizeof(float);
  const Tensor values = padded ? x.plain() : x;
  FGQ_CHECK(values.dtype() == DType::kF32, "activation statistics of a " << dtypeName(values.dtype()) << " tensor");
  return values;
}

void ValueRange::observe(const Tensor& activation) {
  const Tensor values = valuesInAnyOrder(activation);
  const float* v = static_cast<const float*>(values.raw());
  const int64_t n = values.numel();
  float high = 0, low = 0;
#pragma omp parallel for reduction(max : high) reduction(min : low)
  for (int64_t i = 0; i < n; ++i) {
    high = std::max(high, std::abs(v[i]));
    low = std::min(low, v[i]);
  }
  maxAbs = std::max(maxAbs, static_cast<double>(high));
  min = std::min(min, static_cast<double>(low));
}

}  // namespace fgq
