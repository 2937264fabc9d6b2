#include "quant/WeightFormats.h"

#include "core/Error.h"

namespace fgq {
namespace {

std::vector<uint8_t> packTernary(const std::vector<int8_t>& codes) {
  std::vector<TernaryQuad> quads((codes.size() + 3) / 4, TernaryQuad{0});
  for (size_t i = 0; i < codes.size(); ++i) {
    FGQ_CHECK(codes[i] >= -1 && codes[i] <= 1, "ternary code " << int{codes[i]} << " at " << i);
    quads[i / 4].bits |= static_cast<uint8_t>((codes[i] & 0x3) << (2 * (i % 4)));
  }
  return std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(quads.data()),
                              reinterpret_cast<const uint8_t*>(quads.data()) + quads.size());
}

std::vector<int8_t> unpackTernary(const std::vector<uint8_t>& bytes, int64_t count) {
  FGQ_CHECK(static_cast<int64_t>(bytes.size()) == (count + 3) / 4,
            bytes.size() << " bytes of ternary codes for " << count << " weights (expected " << (count + 3) / 4 << ")");
  std::vector<int8_t> codes(count);
  for (int64_t i = 0; i < count; ++i) {
    const int field = (bytes[i / 4] >> (2 * (i % 4))) & 0x3;
    FGQ_CHECK(field != 2, "invalid ternary code at weight " << i);
    codes[i] = static_cast<int8_t>(field == 3 ? -1 : field);
  }
  return codes;
}

std::vector<uint8_t> packInt8(const std::vector<int8_t>& codes) {
  return std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(codes.data()),
                              reinterpret_cast<const uint8_t*>(codes.data()) + codes.size());
}

std::vector<int8_t> unpackInt8(const std::vector<uint8_t>& bytes, int64_t count) {
  FGQ_CHECK(static_cast<int64_t>(bytes.size()) == count, bytes.size() << " bytes of int8 codes for " << count << " weights");
  return std::vector<int8_t>(reinterpret_cast<const int8_t*>(bytes.data()), reinterpret_cast<const int8_t*>(bytes.data()) + count);
}

}  // namespace

const WeightFormat& ternaryFormat() {
  static const WeightFormat format{"ternary", 2, packTernary, unpackTernary};
  return format;
}

const WeightFormat& int8Format() {
  static const WeightFormat format{"int8", 8, packInt8, unpackInt8};
  return format;
}

}  // namespace fgq
