#pragma once
// The variable bit-depth quantizer of methods.md, section 2:
//   q(x; B, E, alpha) = 2^E * round(clamp(2^-E x, alpha - 2^(B-1), alpha + 2^(B-1) - 1))
// with learnable real B (bit depth), E (exponent) and alpha (offset), per tensor or, for E and alpha
// of weights, per output channel (dimension 0). Gradients follow the straight-through table of
// section 2.3. For unsigned tensors the optimizer moves delta with alpha = 2^(B-1) + delta, which keeps
// the window's lower edge at zero while B shrinks; the quantizer itself is unchanged. Where B <= 0 the
// tensor is zero (pruned).
#include "layers/Module.h"

namespace fgq {

// The bit depths a quantizer starts from (configs are checked against them); the export stores codes
// of at most kVbdMaxBits.
inline constexpr int kVbdMinBits = 1, kVbdMaxBits = 16;

// The op on its own: b is [1]; e and a (alpha, or delta when `unsignedOffset`) are [1] or [K] with K
// the size of x's dimension 0.
// With `rounded`, E and the offset are rounded to integers in the forward, as the export rounds them,
// and their gradients pass straight through to the real values.
Variable vbdQuantize(const Variable& x, const Variable& b, const Variable& e, const Variable& a, bool unsignedOffset, bool rounded = false);

class VbdQuantizer : public Module {
 public:
  // bits and exponent initialize B and E; unsignedOffset selects the delta coordinates (alpha starts
  // at 2^(B-1), the unsigned window [0, 2^B - 1]); otherwise alpha starts at 0 (symmetric signed).
  VbdQuantizer(double bits, double exponent, bool unsignedOffset);
  Variable forward(const Variable& x) override;

  Variable bits, exponent, offset;  // parameters "bits", "exponent", "offset"
  bool unsignedOffset() const { return unsigned_.data<int64_t>()[0] != 0; }
  // Section 2.5, stage 2: E and the offset become one per output channel, starting from their
  // per-tensor values. Only for weight quantizers.
  void splitPerChannel(int64_t channels);
  // Stage 3: B rounded up (never clipping more than learned) and frozen.
  void ceilAndFreezeBits();
  // From here on the forward uses E and the offset rounded as the export stores them (vbdQuantize's
  // `rounded`): what trains and what early stopping judges is the deployed format.
  void useExportFormat() { roundedFormat_ = true; }
  // A bit budget's step: `delta` bits more (or fewer, when negative), given to or taken from the format's
  // range (the step stays and the window doubles or halves: at the top when unsigned, about its centre
  // when signed) or its resolution (E - delta, and the offset, counted in steps, scaled by 2^delta, so that
  // the window keeps its lower edge and its top moves by less than one step).
  enum class BitFrom { kRange, kResolution };
  void changeBits(int delta, BitFrom from);
  // Export: E and alpha rounded to integers (alpha is then an integer zero point).
  void roundForExport();
  double alpha(int64_t channel = 0) const;  // alpha in either coordinates

 private:
  Tensor unsigned_;  // buffer "unsigned": s64 0 or 1
  bool roundedFormat_ = false;
};

// E from a tensor's range, as section 2.5 initializes it: ceil(log2 max|x|) - (B - 1).
double initialExponent(double maxAbs, double bits);

}  // namespace fgq
