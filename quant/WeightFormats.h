#pragma once
// Stored weight formats (after ggml's block structs): the packed unit of each format is a small plain
// struct, and one table says what each format costs and how to pack and unpack it.
//   ternary: 2-bit codes, four to a byte (00 = 0, 01 = +1, 11 = -1), plus float scales per group
//   int8:    one signed byte per weight, plus one float scale per output channel (symmetric)
#include <cstdint>
#include <vector>

namespace fgq {

struct TernaryQuad {
  uint8_t bits;  // code i in bits 2i..2i+1
};
static_assert(sizeof(TernaryQuad) == 1, "four ternary codes pack into one byte");

struct Int8Code {
  int8_t value;
};
static_assert(sizeof(Int8Code) == 1, "an int8 weight is one byte");

struct WeightFormat {
  const char* name;
  int bitsPerWeight;
  // codes (-127..127; ternary uses -1..1) to bytes and back
  std::vector<uint8_t> (*pack)(const std::vector<int8_t>& codes);
  std::vector<int8_t> (*unpack)(const std::vector<uint8_t>& bytes, int64_t count);
};

const WeightFormat& ternaryFormat();
const WeightFormat& int8Format();

}  // namespace fgq
