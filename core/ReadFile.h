#pragma once
// A whole file's bytes, or fgq::Error "PATH: cannot open WHAT" / "PATH: cannot read WHAT: ...".
#include <string>

namespace fgq {

std::string readFile(const std::string& path, const std::string& what);

}  // namespace fgq
