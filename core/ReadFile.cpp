#include "core/ReadFile.h"

#include <filesystem>
#include <fstream>

#include "core/Error.h"

namespace fgq {

std::string readFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open " + what);
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path + ": cannot read " + what + ": " + ec.message());
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) throw Error(path + ": cannot read " + what);
  return bytes;
}

}  // namespace fgq
