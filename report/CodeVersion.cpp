#include "report/CodeVersion.h"

#include <cstdio>
#include <memory>

namespace fgq {
namespace {

// The first line a shell command prints, or "" when it fails.
std::string firstLineOf(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return "";
  char buffer[256] = {0};
  std::string line = std::fgets(buffer, sizeof buffer, pipe.get()) ? buffer : "";
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

}  // namespace

std::string sourceCommit() {
  const std::string git = "git -C '" FGQ_SOURCE_DIR "' ";
  const std::string commit = firstLineOf(git + "rev-parse HEAD 2>/dev/null");
  if (commit.empty()) return "unknown";
  const bool dirty = !firstLineOf(git + "status --porcelain --untracked-files=no 2>/dev/null").empty();
  return commit + (dirty ? "+dirty" : "");
}

}  // namespace fgq
