// One libFuzzer harness, built once per target (FGQ_FUZZ_TARGET names it, fuzz/CMakeLists.txt): an input
// read or refused with fgq::Error passes; an escaping exception, a sanitizer report, a leak, a timeout
// or memory over the limit is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/Error.h"
#include "fuzz/Targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    fgq::fuzz::FGQ_FUZZ_TARGET(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const fgq::Error&) {
  }
  return 0;
}
