// FGQ's ternary groups: the solvers against brute force, group geometry, the packed format.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "core/Random.h"
#include "core/TensorOps.h"
#include "quant/WeightEncoders.h"

using namespace fgq;

namespace {

double groupError(const std::vector<float>& w, const std::vector<int8_t>& t, double positive, double negative) {
  double e = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double q = t[i] > 0 ? positive : (t[i] < 0 ? -negative : 0.0);
    e += (w[i] - q) * (w[i] - q);
  }
  return e;
}

// min over all 3^n ternary vectors t of min over alpha >= 0 of ||w - alpha t||^2.
double bruteForce(const std::vector<float>& w) {
  const size_t n = w.size();
  double best = INFINITY;
  std::vector<int8_t> t(n);
  for (int64_t code = 0; code < static_cast<int64_t>(std::pow(3, n)); ++code) {
    int64_t c = code;
    double dot = 0, norm = 0;
    for (size_t i = 0; i < n; ++i, c /= 3) {
      t[i] = static_cast<int8_t>(c % 3 - 1);
      dot += w[i] * t[i];
      norm += t[i] * t[i];
    }
    const double alpha = norm > 0 ? std::max(0.0, dot / norm) : 0.0;
    best = std::min(best, groupError(w, t, alpha, alpha));
  }
  return best;
}

double solvedError(TernarySolver solver, const std::vector<float>& w) {
  std::vector<int8_t> codes(w.size());
  std::vector<float> scratch(w.size());
  const TernaryScales s = solveTernaryGroup(solver, w.data(), static_cast<int64_t>(w.size()), 1, codes.data(), scratch.data());
  return groupError(w, codes, s.positive, s.negative);
}

}  // namespace

TEST_CASE("the exact solver reaches the brute-force optimum; two_scale <= exact <= twn") {
  Random random(11);
  for (int trial = 0; trial < 300; ++trial) {
    const int64_t n = 1 + random.below(8);
    std::vector<float> w(n);
    for (float& v : w) v = static_cast<float>(trial % 3 == 0 ? random.normal() : random.uniform(-1, 1) * std::exp(random.normal()));
    const double optimum = bruteForce(w), exact = solvedError(TernarySolver::kExact, w);
    INFO("trial " << trial << " n " << n);
    CHECK(exact == doctest::Approx(optimum).epsilon(1e-5).scale(1e-6));
    CHECK(solvedError(TernarySolver::kTwoScale, w) <= exact + 1e-6);
    CHECK(exact <= solvedError(TernarySolver::kTwn, w) + 1e-6);
  }
}

TEST_CASE("an all-zero group gets alpha 0 and zero codes") {
  std::vector<float> w(5, 0.f), scratch(5);
  std::vector<int8_t> codes(5, 9);
  const TernaryScales s = solveTernaryGroup(TernarySolver::kExact, w.data(), 5, 1, codes.data(), scratch.data());
  CHECK(s.positive == 0.f);
  for (int8_t c : codes) CHECK(c == 0);
}

TEST_CASE("groups run along input channels at fixed (k, r, s), the last one shorter") {
  const WeightGroups g(Shape{2, 10, 3, 3}, GroupSpec{GroupSpec::Kind::kChannels, 4});
  CHECK(g.count() == 2 * 9 * 3);
  CHECK(g.stride() == 9);
  CHECK(g.length(0) == 4);
  CHECK(g.length(2) == 2);              // channels 8, 9
  CHECK(g.start(1) == 4 * 9);           // k 0, position 0, channels 4..7
  CHECK(g.start(3) == 1);               // k 0, position 1
  CHECK(g.start(27) == 10 * 9);         // k 1
  CHECK(g.multiplicationsPerOutput() == 27);
  const WeightGroups small(Shape{4, 3, 1, 1}, GroupSpec{GroupSpec::Kind::kChannels, 64});
  CHECK(small.length(0) == 3);          // C < N: one group of C
  CHECK(WeightGroups(Shape{4, 3, 3, 3}, GroupSpec::parse("filter")).count() == 4);
  CHECK(WeightGroups(Shape{4, 3, 3, 3}, GroupSpec::parse("layer")).multiplicationsPerOutput() == 1);
  CHECK(WeightGroups(Shape{5, 7}, GroupSpec::parse("2")).count() == 5 * 4);
}

TEST_CASE("group sizes parse or fail with the value named") {
  CHECK(GroupSpec::parse("64").n == 64);
  CHECK_THROWS_WITH_AS(GroupSpec::parse("0"), "group size must be positive, found 0", Error);
  CHECK_THROWS_WITH_AS(GroupSpec::parse("-4"), "group size must be positive, found -4", Error);
  CHECK_THROWS_WITH_AS(GroupSpec::parse("four"), doctest::Contains("'four' is not a positive integer"), Error);
  CHECK_THROWS_WITH_AS(parseTernarySolver("greedy"), doctest::Contains("unknown ternary solver 'greedy'"), Error);
}

TEST_CASE("ternarize: N=1 is the identity, and every weight is +-alpha or 0 of its group") {
  Random random(2);
  Tensor w = Tensor::empty({8, 6, 3, 3});
  random.fillNormal(w, 0, 1);
  CHECK(compare(ternarize(w, GroupSpec::parse("1"), TernarySolver::kExact).dequantize(), w).maxAbsDiff < 1e-6);
  const QuantizedWeights q = ternarize(w, GroupSpec::parse("4"), TernarySolver::kExact);
  const Tensor d = q.dequantize();
  const WeightGroups groups(w.shape(), q.groups);
  for (int64_t g = 0; g < groups.count(); ++g)
    for (int64_t i = 0; i < groups.length(g); ++i) {
      const float v = d.data<float>()[groups.start(g) + i * groups.stride()];
      CHECK((v == 0.f || std::abs(v) == q.scales[g]));
    }
  // Larger groups approximate worse.
  double previous = 0;
  for (const char* n : {"2", "4", "16", "filter", "layer"}) {
    const Tensor diff = sub(ternarize(w, GroupSpec::parse(n), TernarySolver::kExact).dequantize(), w);
    const double error = sumAll(mul(diff, diff));
    CHECK(error >= previous);
    previous = error;
  }
}

namespace {

// Codes of one format and width, packed and unpacked again.
QuantizedWeights roundTrip(WeightFormatId id, int bits, const std::vector<int16_t>& codes) {
  QuantizedWeights q;
  q.format = &weightFormat(id);
  q.bits = bits;
  q.shape = Shape{static_cast<int64_t>(codes.size())};
  q.codes = codes;
  QuantizedWeights back = q;
  back.unpackCodes(q.packedCodes());
  return back;
}

}  // namespace

TEST_CASE("packed formats round-trip and report their size") {
  Random random(5);
  std::vector<int16_t> codes(1001);
  for (auto& c : codes) c = static_cast<int16_t>(random.below(3) - 1);
  QuantizedWeights t;
  t.format = &weightFormat(WeightFormatId::kTernary);
  t.bits = 2;
  t.shape = Shape{1001};
  t.codes = codes;
  CHECK(t.packedCodes().size() == 251);
  CHECK(roundTrip(WeightFormatId::kTernary, 2, codes).codes == codes);
  t.codes = {0};
  CHECK_THROWS_AS(t.unpackCodes(std::vector<uint8_t>{0x02}), Error);  // field 10 is no ternary code
  t.codes = {-2};
  CHECK_THROWS_AS(t.packedCodes(), Error);
  CHECK(roundTrip(WeightFormatId::kInt8, 8, {-127, 0, 5, 127}).codes == std::vector<int16_t>{-127, 0, 5, 127});
  for (int bits : {1, 3, 5, 11, 16}) {  // pow2: any width, the whole two's-complement range
    const int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
    const std::vector<int16_t> edge{static_cast<int16_t>(lo), static_cast<int16_t>(hi), 0, static_cast<int16_t>(hi), static_cast<int16_t>(lo)};
    CHECK(roundTrip(WeightFormatId::kPow2, bits, edge).codes == edge);
  }

  Tensor w = Tensor::empty({16, 64, 3, 3});
  random.fillNormal(w, 0, 1);
  const QuantizedWeights q = ternarize(w, GroupSpec::parse("4"), TernarySolver::kExact);
  CHECK(q.storedBytes() == 16 * 64 * 9 / 4 + 16 * 16 * 9 * 4);
  const QuantizedWeights i8 = quantizeInt8PerChannel(w);
  CHECK(i8.storedBytes() == 16 * 64 * 9 + 16 * 4);
  CHECK(compare(i8.dequantize(), w).maxAbsDiff <= maxAbs(w) / 127 / 2 + 1e-6);
}

TEST_CASE("large groups (radix-sorted) reach the same optimum as a plain sort and scan") {
  Random random(8);
  std::vector<float> w(20000), scratch(w.size());
  for (float& v : w) v = static_cast<float>(random.normal());
  std::vector<int8_t> codes(w.size());
  const TernaryScales s = solveTernaryGroup(TernarySolver::kExact, w.data(), static_cast<int64_t>(w.size()), 1, codes.data(), scratch.data());
  std::vector<double> a;
  for (float v : w) a.push_back(std::abs(v));
  std::sort(a.begin(), a.end(), std::greater<double>());
  double prefix = 0, best = 0, bestSum = 0;
  size_t bestK = 0;
  for (size_t k = 1; k <= a.size(); ++k) {
    prefix += a[k - 1];
    if (prefix * prefix / k > best) {
      best = prefix * prefix / k;
      bestK = k;
      bestSum = prefix;
    }
  }
  CHECK(s.positive == doctest::Approx(bestSum / bestK).epsilon(1e-6));
  CHECK(std::count_if(codes.begin(), codes.end(), [](int8_t c) { return c != 0; }) == static_cast<int64_t>(bestK));
}
