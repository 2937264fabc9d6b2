#include "core/FileHash.h"

#include <cstdio>
#include <fstream>
#include <vector>

#include "core/Error.h"

namespace fgq {

uint64_t fnv1a64(std::string_view bytes, uint64_t hash) {
  for (unsigned char c : bytes) hash = (hash ^ c) * 1099511628211ULL;
  return hash;
}

std::string hex64(uint64_t value) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

std::string fileHash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open file to hash it");
  std::vector<char> chunk(1 << 20);
  uint64_t hash = fnv1a64({});
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    hash = fnv1a64(std::string_view(chunk.data(), static_cast<size_t>(in.gcount())), hash);
  }
  return hex64(hash);
}

}  // namespace fgq
