#pragma once
// Whole-file writes that never leave a half-written file: the bytes go to `path.tmp`, which is then
// renamed over `path`. Throws fgq::Error naming the path.
#include <string>

namespace fgq {

void writeFileAtomically(const std::string& path, const std::string& bytes);

}  // namespace fgq
