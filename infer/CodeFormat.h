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
  // The byte fakeQuantize's code for x is stored as (quant/FakeQuantize.cpp: the same division, and
  // rounding half to even). Clamping first changes nothing for integer bounds, and lets adding and
  // taking away 1.5 * 2^23 round without a call to nearbyint (which x86-64 cannot inline before SSE4.1).
  uint8_t encode(float x) const {
    constexpr float kRound = 12582912.0f;
    const float clamped = std::clamp(x / scale, lo, hi);
    return static_cast<uint8_t>(static_cast<int32_t>((clamped + kRound) - kRound));
  }
};

}  // namespace fgq::infer
