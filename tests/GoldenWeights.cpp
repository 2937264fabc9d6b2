#include "GoldenWeights.h"

#include <cmath>
#include <cstring>

namespace fgq::testing {
namespace {

uint64_t fnv1a(const std::string& name) {
  uint64_t h = 2166136261u;
  for (unsigned char c : name) h = ((h ^ c) * 16777619u) % (1ull << 32);
  return h;
}

bool endsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Tensor formulaTensor(const std::string& name, const Shape& shape, DType dtype) {
  if (dtype == DType::kS64) return Tensor::zeros(shape, DType::kS64);
  const int64_t n = shape.numel();
  const uint64_t h = fnv1a(name);
  Tensor t = Tensor::empty(shape);
  float* d = t.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(((static_cast<uint64_t>(i) + 1) * 2654435761ull + h) % (1ull << 32)) / 4294967296.0;
    double v;
    if (endsWith(name, "running_var") || (endsWith(name, ".weight") && shape.rank() == 1))
      v = 0.5 + u;
    else if (endsWith(name, "running_mean") || endsWith(name, ".bias"))
      v = 0.2 * (2.0 * u - 1.0);
    else
      v = (2.0 * u - 1.0) * std::sqrt(3.0 / static_cast<double>(n / shape[0]));
    d[i] = static_cast<float>(v);
  }
  return t;
}

void fillWithFormula(Module& model) {
  std::map<std::string, Tensor> dict;
  for (const auto& [name, t] : model.stateDict()) dict[name] = formulaTensor(name, t.shape(), t.dtype());
  model.loadStateDict(dict, "formula weights");
}

std::vector<int64_t> sampleIndices(int64_t n) {
  std::vector<int64_t> idx(64);
  for (uint64_t j = 0; j < 64; ++j) idx[j] = static_cast<int64_t>((j * 2654435761ull) % static_cast<uint64_t>(n));
  return idx;
}

}  // namespace fgq::testing
