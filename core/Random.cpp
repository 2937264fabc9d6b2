#include "core/Random.h"

#include <cmath>
#include <numbers>

namespace fgq {
namespace {

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t splitMix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

template <typename F>
void fillWith(Tensor& t, F&& next) {
  FGQ_CHECK(t.dtype() == DType::kF32 || t.dtype() == DType::kF64,
            "random fill of a " << dtypeName(t.dtype()) << " tensor");
  if (t.dtype() == DType::kF32) {
    float* d = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) d[i] = static_cast<float>(next());
  } else {
    double* d = t.data<double>();
    for (int64_t i = 0; i < t.numel(); ++i) d[i] = next();
  }
}

}  // namespace

void Random::reseed(uint64_t seed) {
  for (uint64_t& s : state_) s = splitMix(seed);
}

uint64_t Random::nextU64() {
  const uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

double Random::uniform() { return static_cast<double>(nextU64() >> 11) * 0x1.0p-53; }

double Random::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

double Random::normal() {
  const double u1 = 1.0 - uniform();  // (0, 1]: log is finite
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

int64_t Random::below(int64_t n) {
  FGQ_CHECK(n > 0, "Random::below(" << n << ")");
  return static_cast<int64_t>(nextU64() % static_cast<uint64_t>(n));
}

void Random::fillUniform(Tensor& t, double lo, double hi) {
  fillWith(t, [&] { return uniform(lo, hi); });
}

void Random::fillNormal(Tensor& t, double mean, double stddev) {
  fillWith(t, [&] { return mean + stddev * normal(); });
}

}  // namespace fgq
