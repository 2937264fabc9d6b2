#pragma once
// The message of the fgq::Error a call throws, or "" when it throws none.
#include <functional>
#include <string>

#include "core/Error.h"

namespace fgq::testing {

inline std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace fgq::testing
