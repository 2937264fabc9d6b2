#include "quant/GroupSpec.h"

#include "core/Error.h"

namespace fgq {

GroupSpec GroupSpec::parse(const std::string& text) {
  if (text == "filter") return {Kind::kFilter, 0};
  if (text == "layer") return {Kind::kLayer, 0};
  size_t used = 0;
  long long n = 0;
  try {
    n = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty())
    throw Error("group size '" + text + "' is not a positive integer, \"filter\" or \"layer\"");
  if (n <= 0) throw Error("group size must be positive, found " + text);
  return {Kind::kChannels, n};
}

std::string GroupSpec::str() const {
  switch (kind) {
    case Kind::kFilter: return "filter";
    case Kind::kLayer: return "layer";
    case Kind::kChannels: return std::to_string(n);
  }
  return "?";
}

WeightGroups::WeightGroups(const Shape& w, const GroupSpec& spec) : spec_(spec) {
  FGQ_CHECK(w.rank() == 4 || w.rank() == 2, "ternary groups need a weight [K, C, R, S] or [K, C], found " << w.str());
  k_ = w[0];
  c_ = w[1];
  rs_ = w.rank() == 4 ? w[2] * w[3] : 1;
  chunks_ = spec.kind == GroupSpec::Kind::kChannels ? (c_ + spec.n - 1) / spec.n : 1;
  count_ = spec.kind == GroupSpec::Kind::kLayer ? 1 : spec.kind == GroupSpec::Kind::kFilter ? k_ : k_ * rs_ * chunks_;
}

// Channel groups are numbered (k, r*S + s, chunk), chunk fastest.
int64_t WeightGroups::start(int64_t g) const {
  switch (spec_.kind) {
    case GroupSpec::Kind::kLayer: return 0;
    case GroupSpec::Kind::kFilter: return g * c_ * rs_;
    case GroupSpec::Kind::kChannels: break;
  }
  const int64_t chunk = g % chunks_, position = (g / chunks_) % rs_, k = g / (chunks_ * rs_);
  return (k * c_ + chunk * spec_.n) * rs_ + position;
}

int64_t WeightGroups::length(int64_t g) const {
  switch (spec_.kind) {
    case GroupSpec::Kind::kLayer: return k_ * c_ * rs_;
    case GroupSpec::Kind::kFilter: return c_ * rs_;
    case GroupSpec::Kind::kChannels: break;
  }
  const int64_t chunk = g % chunks_;
  return std::min(spec_.n, c_ - chunk * spec_.n);
}

int64_t WeightGroups::maxLength() const {
  return spec_.kind == GroupSpec::Kind::kChannels ? std::min(spec_.n, c_) : length(0);
}

int64_t WeightGroups::multiplicationsPerOutput() const {
  return spec_.kind == GroupSpec::Kind::kChannels ? chunks_ * rs_ : 1;
}

}  // namespace fgq
