#include "quant/QuantizedWeights.h"

#include "core/Error.h"

namespace fgq {
namespace {

int64_t perGroup(const QuantizedWeights& q) { return WeightGroups(q.shape, q.groups).count(); }
int64_t perChannel(const QuantizedWeights& q) { return q.shape[0]; }

void dequantizeTernary(const QuantizedWeights& q, float* out) {
  const WeightGroups groups(q.shape, q.groups);
  const int64_t stride = groups.stride();
#pragma omp parallel for schedule(static)
  for (int64_t g = 0; g < groups.count(); ++g) {
    const int64_t start = groups.start(g);
    const float positive = q.scales[g], negative = q.negativeScales.empty() ? q.scales[g] : q.negativeScales[g];
    for (int64_t i = 0; i < groups.length(g); ++i) {
      const int16_t c = q.codes[start + i * stride];
      out[start + i * stride] = c > 0 ? positive : (c < 0 ? -negative : 0.f);
    }
  }
}

void dequantizeInt8(const QuantizedWeights& q, float* out) {
  const int64_t n = q.shape.numel(), channelSize = n / q.shape[0];
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(q.codes[i]) * q.scales[i / channelSize];
}

// (code + z) is an integer and the scale a power of two, so the product is exact.
void dequantizePow2(const QuantizedWeights& q, float* out) {
  const int64_t n = q.shape.numel(), channelSize = n / q.shape[0];
  for (int64_t i = 0; i < n; ++i) {
    const int64_t c = i / channelSize;
    out[i] = static_cast<float>(q.codes[i] + q.zeroPoints[c]) * q.scales[c];
  }
}

const WeightFormat kFormats[] = {
    {WeightFormatId::kTernary, "ternary", 2, true, perGroup, dequantizeTernary},
    {WeightFormatId::kInt8, "int8", 8, true, perChannel, dequantizeInt8},
    {WeightFormatId::kPow2, "pow2", 0, false, perChannel, dequantizePow2},
};

}  // namespace

const WeightFormat& weightFormat(WeightFormatId id) { return kFormats[static_cast<int>(id)]; }

Tensor QuantizedWeights::dequantize() const {
  Tensor out = Tensor::empty(shape);
  format->dequantize(*this, out.data<float>());
  return out;
}

int64_t QuantizedWeights::storedBytes() const {
  const int64_t codeBytes = (static_cast<int64_t>(codes.size()) * bits + 7) / 8;
  return codeBytes + static_cast<int64_t>((scales.size() + negativeScales.size()) * sizeof(float) + zeroPoints.size() * sizeof(int32_t));
}

std::vector<uint8_t> QuantizedWeights::packedCodes() const {
  std::vector<uint8_t> bytes((static_cast<int64_t>(codes.size()) * bits + 7) / 8, 0);
  const int64_t lowest = bits > 0 ? -(int64_t{1} << (bits - 1)) + (format->symmetricCodes ? 1 : 0) : 0;
  const int64_t highest = bits > 0 ? (int64_t{1} << (bits - 1)) - 1 : 0;
  const uint32_t mask = bits > 0 ? (uint32_t{1} << bits) - 1 : 0;
  for (size_t i = 0; i < codes.size(); ++i) {
    FGQ_CHECK(codes[i] >= lowest && codes[i] <= highest, format->name << " code " << codes[i] << " at " << i << " is outside "
                                                                        << lowest << ".." << highest);
    const uint32_t field = static_cast<uint32_t>(codes[i]) & mask;
    for (int b = 0; b < bits; ++b)
      if (field >> b & 1u) {
        const int64_t bit = static_cast<int64_t>(i) * bits + b;
        bytes[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      }
  }
  return bytes;
}

void QuantizedWeights::unpackCodes(const std::vector<uint8_t>& bytes) {
  const int64_t count = shape.numel(), expected = (count * bits + 7) / 8;
  FGQ_CHECK(static_cast<int64_t>(bytes.size()) == expected,
            bytes.size() << " bytes of " << bits << "-bit codes for " << count << " weights (expected " << expected << ")");
  codes.assign(count, 0);
  for (int64_t i = 0; i < count && bits > 0; ++i) {
    uint32_t field = 0;
    for (int b = 0; b < bits; ++b) {
      const int64_t bit = i * bits + b;
      field |= static_cast<uint32_t>(bytes[bit / 8] >> (bit % 8) & 1u) << b;
    }
    const int64_t value = field >= (uint32_t{1} << (bits - 1)) ? static_cast<int64_t>(field) - (int64_t{1} << bits) : field;
    FGQ_CHECK(!(format->symmetricCodes && value == -(int64_t{1} << (bits - 1))), "invalid " << format->name << " code at weight " << i);
    codes[i] = static_cast<int16_t>(value);
  }
}

}  // namespace fgq
