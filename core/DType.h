#pragma once
// Element types a Tensor can store. f32 is the compute type; f64 exists for gradient checks and the
// plain-loop references; the integer types hold quantized codes, accumulators and counters.
#include <cstddef>
#include <cstdint>
#include <string>

namespace fgq {

enum class DType { kF32, kF64, kS8, kU8, kS32, kS64 };

size_t dtypeSize(DType dtype);
std::string dtypeName(DType dtype);  // "f32", "f64", ...

template <typename T>
constexpr DType dtypeOf();
template <> constexpr DType dtypeOf<float>() { return DType::kF32; }
template <> constexpr DType dtypeOf<double>() { return DType::kF64; }
template <> constexpr DType dtypeOf<int8_t>() { return DType::kS8; }
template <> constexpr DType dtypeOf<uint8_t>() { return DType::kU8; }
template <> constexpr DType dtypeOf<int32_t>() { return DType::kS32; }
template <> constexpr DType dtypeOf<int64_t>() { return DType::kS64; }

}  // namespace fgq
