#include "quant/TernarySolver.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <functional>
#include <vector>

#include "core/Error.h"

namespace fgq {

TernarySolver parseTernarySolver(const std::string& name) {
  if (name == "exact") return TernarySolver::kExact;
  if (name == "twn") return TernarySolver::kTwn;
  if (name == "two_scale") return TernarySolver::kTwoScale;
  throw Error("unknown ternary solver '" + name + "' (expected exact, twn or two_scale)");
}

std::string ternarySolverName(TernarySolver solver) {
  switch (solver) {
    case TernarySolver::kExact: return "exact";
    case TernarySolver::kTwn: return "twn";
    case TernarySolver::kTwoScale: return "two_scale";
  }
  return "?";
}

namespace {

// Sorts non-negative floats descending. Large groups ("layer", "filter" of big convs: millions of
// weights) use a radix sort on the bit patterns, which order like the values for non-negative floats.
void sortMagnitudesDescending(float* a, int64_t n) {
  if (n < 4096) {
    std::sort(a, a + n, std::greater<float>());
    return;
  }
  std::vector<uint32_t> keys(n), buffer(n);
  for (int64_t i = 0; i < n; ++i) keys[i] = ~std::bit_cast<uint32_t>(a[i]);  // inverted: ascending keys, descending values
  for (int shift = 0; shift < 32; shift += 11) {
    std::vector<int64_t> offsets(2049, 0);
    for (int64_t i = 0; i < n; ++i) offsets[((keys[i] >> shift) & 2047) + 1]++;
    for (int b = 0; b < 2048; ++b) offsets[b + 1] += offsets[b];
    for (int64_t i = 0; i < n; ++i) buffer[offsets[(keys[i] >> shift) & 2047]++] = keys[i];
    keys.swap(buffer);
  }
  for (int64_t i = 0; i < n; ++i) a[i] = std::bit_cast<float>(~keys[i]);
}

// The optimal threshold for magnitudes `a` (n of them): returns alpha and the smallest kept magnitude
// (values strictly below it become 0). Sorts `a` in place, descending.
std::pair<float, float> exactThreshold(float* a, int64_t n) {
  sortMagnitudesDescending(a, n);
  double prefix = 0, best = 0;
  int64_t bestK = 0;
  for (int64_t k = 1; k <= n; ++k) {
    prefix += a[k - 1];
    const double score = prefix * prefix / static_cast<double>(k);
    if (score > best) {  // strict: ties keep the smaller k
      best = score;
      bestK = k;
    }
  }
  if (bestK == 0) return {0.f, INFINITY};
  double sum = 0;
  for (int64_t i = 0; i < bestK; ++i) sum += a[i];
  return {static_cast<float>(sum / static_cast<double>(bestK)), a[bestK - 1]};
}

}  // namespace

TernaryScales solveTernaryGroup(TernarySolver solver, const float* w, int64_t n, int64_t stride, int8_t* codes, float* scratch) {
  auto sign = [](float v) -> int8_t { return v > 0 ? 1 : (v < 0 ? -1 : 0); };
  if (solver == TernarySolver::kTwoScale) {
    TernaryScales scales;
    for (const int8_t side : {int8_t{1}, int8_t{-1}}) {
      int64_t m = 0;
      for (int64_t i = 0; i < n; ++i)
        if (sign(w[i * stride]) == side) scratch[m++] = std::abs(w[i * stride]);
      const auto [alpha, threshold] = exactThreshold(scratch, m);
      (side > 0 ? scales.positive : scales.negative) = alpha;
      for (int64_t i = 0; i < n; ++i)
        if (sign(w[i * stride]) == side) codes[i] = std::abs(w[i * stride]) >= threshold ? side : int8_t{0};
    }
    for (int64_t i = 0; i < n; ++i)
      if (w[i * stride] == 0) codes[i] = 0;
    return scales;
  }

  float alpha = 0, threshold = INFINITY;
  if (solver == TernarySolver::kExact) {
    for (int64_t i = 0; i < n; ++i) scratch[i] = std::abs(w[i * stride]);
    std::tie(alpha, threshold) = exactThreshold(scratch, n);
  } else {  // twn
    double meanAbs = 0;
    for (int64_t i = 0; i < n; ++i) meanAbs += std::abs(w[i * stride]);
    meanAbs /= static_cast<double>(n);
    const double delta = 0.7 * meanAbs;
    double sum = 0;
    int64_t kept = 0;
    for (int64_t i = 0; i < n; ++i)
      if (std::abs(w[i * stride]) > delta) {
        sum += std::abs(w[i * stride]);
        ++kept;
      }
    if (kept > 0) {
      alpha = static_cast<float>(sum / static_cast<double>(kept));
      threshold = std::nextafter(static_cast<float>(delta), INFINITY);
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const float v = w[i * stride];
    codes[i] = (alpha > 0 && std::abs(v) >= threshold && v != 0) ? sign(v) : int8_t{0};
  }
  return {alpha, alpha};
}

}  // namespace fgq
