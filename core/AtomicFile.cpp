#include "core/AtomicFile.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/Error.h"
#include "core/KillPoint.h"

namespace fgq {

void writeFileAtomically(const std::string& path, const std::string& bytes) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path + ": cannot write (cannot create " + temporary + ")");
    const auto half = static_cast<std::streamsize>(bytes.size() / 2);
    out.write(bytes.data(), half);
    out.flush();
    killPoint("write:" + std::filesystem::path(path).filename().string());
    out.write(bytes.data() + half, static_cast<std::streamsize>(bytes.size()) - half);
    out.flush();
    if (!out) {
      std::remove(temporary.c_str());
      throw Error(path + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::remove(temporary.c_str());
    throw Error(path + ": cannot replace file: " + ec.message());
  }
}

}  // namespace fgq
