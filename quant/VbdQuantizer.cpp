#include "quant/VbdQuantizer.h"

#include <cmath>
#include <numbers>

namespace fgq {
namespace {
constexpr double kLn2 = std::numbers::ln2;

// One channel's step and its window of codes [lo, hi], from its E and offset (delta when unsigned), as
// learned or rounded to the integers the export stores; `half` is 2^(B-1).
struct ChannelWindow {
  double scale, lo, hi;
};
ChannelWindow channelWindow(float e, float a, double half, bool unsignedOffset, bool rounded) {
  const auto value = [rounded](float v) { return rounded ? std::nearbyint(static_cast<double>(v)) : static_cast<double>(v); };
  const double alpha = unsignedOffset ? half + value(a) : value(a);
  return {std::exp2(value(e)), alpha - half, alpha + half - 1};
}
}

double initialExponent(double maxAbs, double bits) {
  return maxAbs > 0 ? std::ceil(std::log2(maxAbs)) - (bits - 1) : -(bits - 1);
}

Variable vbdQuantize(const Variable& x, const Variable& b, const Variable& e, const Variable& a, bool unsignedOffset, bool rounded) {
  const Tensor input = x.tensor().plain();
  const int64_t n = input.numel(), channels = e.tensor().numel(), perChannel = n / std::max<int64_t>(channels, 1);
  FGQ_CHECK(b.tensor().numel() == 1 && a.tensor().numel() == channels && (channels == 1 || input.dim(0) == channels),
            "vbd quantizer parameters: B " << b.shape().str() << ", E " << e.shape().str() << ", offset " << a.shape().str()
                                           << " for a tensor " << input.shape().str());
  const double B = b.tensor().data<float>()[0];
  const float* E = e.tensor().data<float>();
  const float* A = a.tensor().data<float>();
  const float* xs = input.data<float>();
  Tensor out = Tensor::empty(input.shape());
  float* q = out.data<float>();
  const double half = std::exp2(B - 1);
  for (int64_t c = 0; c < channels; ++c) {
    const auto [scale, lo, hi] = channelWindow(E[c], A[c], half, unsignedOffset, rounded);
    for (int64_t i = c * perChannel; i < (c + 1) * perChannel; ++i)
      q[i] = B <= 0 ? 0.f : static_cast<float>(scale * std::nearbyint(std::clamp(xs[i] / scale, lo, hi)));
  }
  Tensor result = out;
  if (!x.tensor().isPlain()) {
    result = Tensor::withLayout(input.shape(), DType::kF32, x.tensor().layout());
    result.copyFrom(out);
  }
  return Variable(result, {x, b, e, a}, [input, unsignedOffset, rounded](std::vector<Variable>& in, const Tensor& gyIn) {
    const Tensor gy = gyIn.plain();
    const int64_t n = input.numel(), channels = in[2].tensor().numel(), perChannel = n / channels;
    const double B = in[1].tensor().data<float>()[0];
    const double half = std::exp2(B - 1);
    Tensor gx = Tensor::zeros(input.shape()), gb = Tensor::zeros({1}), ge = Tensor::zeros(in[2].shape()), ga = Tensor::zeros(in[3].shape());
    double dB = 0;
    for (int64_t c = 0; c < channels && B > 0; ++c) {
      const auto [scale, lo, hi] = channelWindow(in[2].tensor().data<float>()[c], in[3].tensor().data<float>()[c], half, unsignedOffset, rounded);
      double dE = 0, dAlpha = 0, dBits = 0;
      for (int64_t i = c * perChannel; i < (c + 1) * perChannel; ++i) {
        const double g = gy.data<float>()[i], u = input.data<float>()[i] / scale;
        if (u >= hi) {
          dE += g * kLn2 * scale * std::nearbyint(hi);
          dBits += g * kLn2 * scale * half;
          dAlpha += g * scale;
        } else if (u <= lo) {
          dE += g * kLn2 * scale * std::nearbyint(lo);
          dBits -= g * kLn2 * scale * half;
          dAlpha += g * scale;
        } else {
          gx.data<float>()[i] = static_cast<float>(g);
          dE += g * kLn2 * scale * (std::nearbyint(u) - u);
        }
      }
      // With alpha = 2^(B-1) + delta, B also moves alpha: dalpha/dB = ln2 * 2^(B-1).
      if (unsignedOffset) dBits += dAlpha * kLn2 * half;
      dB += dBits;
      ge.data<float>()[c] = static_cast<float>(dE);
      ga.data<float>()[c] = static_cast<float>(dAlpha);
    }
    gb.data<float>()[0] = static_cast<float>(dB);
    in[0].addGrad(gx);
    in[1].addGrad(gb);
    in[2].addGrad(ge);
    in[3].addGrad(ga);
  });
}

VbdQuantizer::VbdQuantizer(double b, double e, bool unsignedOffset)
    : bits(Tensor::full({1}, b)), exponent(Tensor::full({1}, e)), offset(Tensor::zeros({1})),
      unsigned_(Tensor::full({}, unsignedOffset ? 1.0 : 0.0, DType::kS64)) {
  FGQ_CHECK(b >= kVbdMinBits && b <= kVbdMaxBits, "VBD bit depth must be in " << kVbdMinBits << ".." << kVbdMaxBits << ", found " << b);
  registerParameter("bits", &bits);
  registerParameter("exponent", &exponent);
  registerParameter("offset", &offset);
  registerBuffer("unsigned", &unsigned_);
}

Variable VbdQuantizer::forward(const Variable& x) { return vbdQuantize(x, bits, exponent, offset, unsignedOffset(), roundedFormat_); }

double VbdQuantizer::alpha(int64_t channel) const {
  const double a = offset.tensor().data<float>()[channel];
  return unsignedOffset() ? std::exp2(bits.tensor().data<float>()[0] - 1) + a : a;
}

void VbdQuantizer::splitPerChannel(int64_t channels) {
  FGQ_CHECK(exponent.tensor().numel() == 1, "quantizer is per channel already");
  exponent.tensor() = Tensor::full({channels}, exponent.tensor().data<float>()[0]);
  offset.tensor() = Tensor::full({channels}, offset.tensor().data<float>()[0]);
}

void VbdQuantizer::ceilAndFreezeBits() {
  float& b = bits.tensor().data<float>()[0];
  b = std::ceil(b);
  bits.setRequiresGrad(false);
}

void VbdQuantizer::changeBits(int delta, BitFrom from) {
  float& b = bits.tensor().data<float>()[0];
  FGQ_CHECK(b + delta >= kVbdMinBits && b + delta <= kVbdMaxBits, "VBD bit depth " << b << " cannot change by " << delta);
  b += static_cast<float>(delta);
  if (from == BitFrom::kRange) return;
  for (int64_t i = 0; i < exponent.tensor().numel(); ++i) exponent.tensor().data<float>()[i] -= static_cast<float>(delta);
  for (int64_t i = 0; i < offset.tensor().numel(); ++i) offset.tensor().data<float>()[i] = std::ldexp(offset.tensor().data<float>()[i], delta);
}

void VbdQuantizer::roundForExport() {
  for (Variable* p : {&exponent, &offset}) {
    float* d = p->tensor().data<float>();
    for (int64_t i = 0; i < p->tensor().numel(); ++i) d[i] = std::nearbyint(d[i]);
  }
  // alpha = 2^(B-1) + delta is an integer when B is and delta is.
}

}  // namespace fgq
