#pragma once
// A file's identity by content, for caches and for recognising a changed file: 64-bit FNV-1a, in hex.
#include <cstdint>
#include <string>
#include <string_view>

namespace fgq {

uint64_t fnv1a64(std::string_view bytes, uint64_t hash = 1469598103934665603ULL);
std::string hex64(uint64_t value);  // 16 lowercase hex digits
// Hashes the file's bytes; throws naming the file when it cannot be read.
std::string fileHash(const std::string& path);

}  // namespace fgq
