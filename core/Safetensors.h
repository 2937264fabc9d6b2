#pragma once
// safetensors files: an 8-byte little-endian header length, a JSON header mapping each tensor name to
// {dtype, shape, data_offsets}, then the raw little-endian data. Reads F32, F64, F16, BF16, I64, I32, I8,
// U8 (F16 and BF16 are widened to f32); writes every fgq dtype. Every error names the file and, where
// there is one, the tensor.
#include <map>
#include <string>
#include <string_view>

#include "core/Tensor.h"

namespace fgq {

struct TensorFile {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, std::string> metadata;  // the header's "__metadata__" (string to string)
};

// What a reader accepts before it allocates anything: the limits of safetensors' own reader for the
// header (100 MB), and sizes no model comes near, so that a hostile header fails on a named check
// instead of an overflowed product (a [2^32, 2^32] shape multiplied to 0 bytes).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;
inline constexpr size_t kMaxSafetensorsTensors = 1'000'000;
inline constexpr size_t kMaxTensorRank = 8;
inline constexpr uint64_t kMaxTensorElements = uint64_t{1} << 40;

TensorFile loadSafetensors(const std::string& path);
// The same from a file's bytes; `path` names it in errors.
TensorFile parseSafetensors(std::string_view bytes, const std::string& path);
// Written to `path.tmp` and renamed, so a reader never sees a half-written file.
void saveSafetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata = {});

}  // namespace fgq
