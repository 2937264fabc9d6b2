#pragma once
// Which code computed a report's numbers: a fingerprint of the library sources (made at build time,
// so a cached result from other code is never republished) and the source tree's git commit.
#include <string>

namespace fgq {

const char* codeFingerprint();  // SHA-256 hex of core/, autograd/, layers/, quant/, data/, train/
// `git rev-parse HEAD` of the source tree, "+dirty" appended when its tracked files differ from it;
// "unknown" without git or outside a checkout.
std::string sourceCommit();

}  // namespace fgq
