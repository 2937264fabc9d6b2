#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/Error.h"
#include "fuzz/Targets.h"

namespace fs = std::filesystem;

// Every finding of the fuzzers is kept as tests/fuzz/corpus/NAME/regression_*; replayed here through
// the same target, in the plain and the sanitized suite, it must be read or refused with fgq::Error.
TEST_CASE("every fuzzing finding kept in the corpora is read or refused by name, never a crash") {
  int replayed = 0;
  for (const auto& corpus : fs::directory_iterator(FGQ_FUZZ_CORPUS_DIR)) {
    const fgq::fuzz::Target target = fgq::fuzz::targetNamed(corpus.path().filename().string());
    for (const auto& file : fs::directory_iterator(corpus.path())) {
      if (!file.path().filename().string().starts_with("regression_")) continue;
      INFO(file.path().string());
      std::ostringstream bytes;
      bytes << std::ifstream(file.path(), std::ios::binary).rdbuf();
      try {
        target(bytes.str());
      } catch (const fgq::Error&) {
      }
      ++replayed;
    }
  }
  CHECK(replayed >= 2);
}
