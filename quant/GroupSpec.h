#pragma once
// How a weight tensor is cut into ternary groups (methods.md, section 1.2): N consecutive input
// channels at one (k, r, s) (the last group of each shorter when C is not a multiple of N), one group
// per output channel ("filter"), or one group for the whole layer ("layer").
#include <cstdint>
#include <string>

#include "core/Shape.h"

namespace fgq {

struct GroupSpec {
  enum class Kind { kChannels, kFilter, kLayer } kind = Kind::kChannels;
  int64_t n = 4;  // kChannels only

  static GroupSpec parse(const std::string& text);  // "4", "filter", "layer"; throws for 0, negatives, words
  std::string str() const;
};

// Groups of a weight [K, C, R, S] or [K, C]: group g holds `length(g)` values starting at `start(g)`,
// `stride` apart.
class WeightGroups {
 public:
  WeightGroups(const Shape& weight, const GroupSpec& spec);
  int64_t count() const { return count_; }
  int64_t start(int64_t g) const;
  int64_t length(int64_t g) const;
  int64_t stride() const { return spec_.kind == GroupSpec::Kind::kChannels ? rs_ : 1; }
  int64_t maxLength() const;
  // Multiplications that remain per output value: one per group meeting its dot product (section 3).
  int64_t multiplicationsPerOutput() const;

 private:
  GroupSpec spec_;
  int64_t k_, c_, rs_, chunks_, count_;
};

}  // namespace fgq
