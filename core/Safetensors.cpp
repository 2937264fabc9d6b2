#include "core/Safetensors.h"

#include "core/AtomicFile.h"
#include "core/Json.h"
#include "core/ReadFile.h"

#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace fgq {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian host");

struct FileDType {
  const char* name;
  DType stored;  // what fgq keeps in memory
  size_t fileSize;
};

constexpr FileDType kFileDTypes[] = {
    {"F32", DType::kF32, 4}, {"F64", DType::kF64, 8}, {"F16", DType::kF32, 2}, {"BF16", DType::kF32, 2},
    {"I64", DType::kS64, 8}, {"I32", DType::kS32, 4}, {"I8", DType::kS8, 1},   {"U8", DType::kU8, 1},
};

const char* fileDTypeName(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF64: return "F64";
    case DType::kS8: return "I8";
    case DType::kU8: return "U8";
    case DType::kS32: return "I32";
    case DType::kS64: return "I64";
  }
  return "?";
}

float halfToFloat(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {  // subnormal: normalize
    exponent = 113;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      --exponent;
    }
    bits = sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

float bfloatToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

Tensor decodeTensor(const std::string& path, const std::string& name, const nlohmann::json& entry,
                    const char* data, uint64_t dataBytes) {
  auto fail = [&](const std::string& what) { throw Error(path + ": tensor '" + name + "': " + what); };
  if (!entry.is_object() || !entry.contains("dtype") || !entry.contains("shape") || !entry.contains("data_offsets"))
    fail("header entry needs dtype, shape and data_offsets");
  if (!entry["dtype"].is_string()) fail("dtype is not a string");
  const std::string dtypeName = entry["dtype"];
  const FileDType* fileDType = nullptr;
  for (const FileDType& d : kFileDTypes)
    if (dtypeName == d.name) fileDType = &d;
  if (!fileDType) fail("unsupported dtype '" + dtypeName + "' (expected F32, F64, F16, BF16, I64, I32, I8 or U8)");

  std::vector<int64_t> dims;
  if (!entry["shape"].is_array()) fail("shape is not an array");
  if (entry["shape"].size() > kMaxTensorRank)
    fail("shape has " + std::to_string(entry["shape"].size()) + " dimensions (at most " + std::to_string(kMaxTensorRank) + ")");
  uint64_t elements = 1;
  for (const auto& d : entry["shape"]) {
    if (!d.is_number_unsigned()) fail("shape has a non-integer or negative dimension");
    const uint64_t size = d.get<uint64_t>();
    if (__builtin_mul_overflow(elements, size, &elements) || elements > kMaxTensorElements)
      fail("shape " + entry["shape"].dump() + " has more than " + std::to_string(kMaxTensorElements) + " elements");
    dims.push_back(static_cast<int64_t>(size));
  }
  const Shape shape(dims);
  const auto& offsets = entry["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
    fail("data_offsets must be two non-negative integers");
  const uint64_t begin = offsets[0], end = offsets[1];
  if (begin > end || end > dataBytes)
    fail("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] outside the " +
         std::to_string(dataBytes) + " data bytes of the file");
  const uint64_t expected = static_cast<uint64_t>(shape.numel()) * fileDType->fileSize;
  if (end - begin != expected)
    fail("holds " + std::to_string(end - begin) + " bytes, but " + dtypeName + " " + shape.str() + " needs " +
         std::to_string(expected));

  Tensor t = Tensor::empty(shape, fileDType->stored);
  const char* src = data + begin;
  if (fileDType->fileSize == dtypeSize(fileDType->stored)) {
    std::memcpy(t.raw(), src, expected);
  } else {
    float* dst = t.data<float>();
    const bool bf16 = dtypeName == "BF16";
    for (int64_t i = 0; i < shape.numel(); ++i) {
      uint16_t v;
      std::memcpy(&v, src + 2 * i, 2);
      dst[i] = bf16 ? bfloatToFloat(v) : halfToFloat(v);
    }
  }
  return t;
}

}  // namespace

TensorFile loadSafetensors(const std::string& path) { return parseSafetensors(readFile(path, "safetensors file"), path); }

TensorFile parseSafetensors(std::string_view bytes, const std::string& path) {
  if (bytes.size() < 8) throw Error(path + ": truncated safetensors file (" + std::to_string(bytes.size()) + " bytes, no header length)");
  uint64_t headerBytes;
  std::memcpy(&headerBytes, bytes.data(), 8);
  if (headerBytes > bytes.size() - 8)
    throw Error(path + ": truncated safetensors file (header of " + std::to_string(headerBytes) + " bytes, file has " +
                std::to_string(bytes.size() - 8) + " after the length)");
  if (headerBytes > kMaxSafetensorsHeaderBytes)
    throw Error(path + ": safetensors header of " + std::to_string(headerBytes) + " bytes (at most " +
                std::to_string(kMaxSafetensorsHeaderBytes) + ")");
  const nlohmann::json header = parseJson(std::string_view(bytes).substr(8, headerBytes), path + ": safetensors header");
  if (!header.is_object()) throw Error(path + ": malformed safetensors header: not a JSON object");
  if (header.size() > kMaxSafetensorsTensors)
    throw Error(path + ": safetensors header lists " + std::to_string(header.size()) + " entries (at most " +
                std::to_string(kMaxSafetensorsTensors) + ")");

  TensorFile file;
  const char* data = bytes.data() + 8 + headerBytes;
  const uint64_t dataBytes = bytes.size() - 8 - headerBytes;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) throw Error(path + ": __metadata__ is not an object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) throw Error(path + ": __metadata__ key '" + key + "' is not a string");
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    file.tensors[name] = decodeTensor(path, name, entry, data, dataBytes);
  }
  return file;
}

void saveSafetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> plainTensors;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    FGQ_CHECK(tensor.defined(), path << ": tensor '" << name << "' is undefined");
    plainTensors.push_back(tensor.plain());
    const uint64_t size = tensor.numel() * dtypeSize(tensor.dtype());
    header[name] = {{"dtype", fileDTypeName(tensor.dtype())},
                    {"shape", tensor.shape().dims()},
                    {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string headerText = header.dump();
  headerText.append((8 - headerText.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  std::string bytes(8, '\0');
  const uint64_t headerBytes = headerText.size();
  std::memcpy(bytes.data(), &headerBytes, 8);
  bytes += headerText;
  bytes.reserve(bytes.size() + offset);
  for (const Tensor& t : plainTensors) bytes.append(static_cast<const char*>(t.raw()), t.numel() * dtypeSize(t.dtype()));
  writeFileAtomically(path, bytes);
}

}  // namespace fgq
