#pragma once
// What a layer's input quantizer maps an activation to (methods.md 1.5): codes round(x / scale), half to
// even, clamped to [lo, hi]; signed where lo < 0. The engine stores either kind in a byte (s8 as its
// two's-complement byte), and 4-bit codes in a byte too.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace fgq::infer {

struct CodeFormat {
  float scale = 1, lo = 0, hi = 255;
  bool isSigned() const { return lo < 0; }
  bool operator==(const CodeFormat&) const = default;
  // The byte fakeQuantize's code for x is stored as (quant/FakeQuantize.cpp: the same division and rounding).
  uint8_t encode(float x) const { return static_cast<uint8_t>(static_cast<int32_t>(std::clamp(std::nearbyint(x / scale), lo, hi))); }
};

}  // namespace fgq::infer
