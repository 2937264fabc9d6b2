#pragma once
// A seeded generator (xoshiro256**): the same seed gives the same numbers on every machine, and its
// whole state is four integers, so checkpoints can save and restore it exactly.
#include <array>
#include <cstdint>

#include "core/Tensor.h"

namespace fgq {

class Random {
 public:
  explicit Random(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);

  uint64_t nextU64();
  double uniform();                        // [0, 1)
  double uniform(double lo, double hi);    // [lo, hi)
  double normal();                         // mean 0, std 1 (Box-Muller)
  int64_t below(int64_t n);                // uniform integer in [0, n)

  void fillUniform(Tensor& t, double lo, double hi);  // plain f32 or f64 tensors
  void fillNormal(Tensor& t, double mean, double stddev);

  std::array<uint64_t, 4> state() const { return state_; }
  void setState(const std::array<uint64_t, 4>& state) { state_ = state; }

 private:
  std::array<uint64_t, 4> state_{};
};

}  // namespace fgq
