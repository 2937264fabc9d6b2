#include "core/KillPoint.h"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <string>

namespace fgq {
namespace {

struct KillTarget {
  std::string name;
  long count = 0;  // 0: no target
};

KillTarget targetFromEnvironment() {
  const char* value = std::getenv("FGQ_KILL_AT");
  if (!value || !*value) return {};
  const std::string spec = value;
  const size_t hash = spec.rfind('#');
  if (hash == std::string::npos) return {spec, 1};
  return {spec.substr(0, hash), std::max(1L, std::strtol(spec.c_str() + hash + 1, nullptr, 10))};
}

}  // namespace

void killPoint(std::string_view name) {
  static const KillTarget target = targetFromEnvironment();
  static long hits = 0;
  if (target.count == 0 || name != target.name) return;
  if (++hits == target.count) std::raise(SIGKILL);
}

}  // namespace fgq
