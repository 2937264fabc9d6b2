#pragma once
// The one exception type of fgq's public API, and the invariant check that throws it.
#include <sstream>
#include <stdexcept>
#include <string>

namespace fgq {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
[[noreturn]] inline void fail(const char* file, int line, const std::string& message) {
  std::ostringstream out;
  out << message << " [" << file << ":" << line << "]";
  throw Error(out.str());
}
}  // namespace detail

}  // namespace fgq

// FGQ_CHECK(cond, a << b << c): throws fgq::Error with the streamed message and the source location.
#define FGQ_CHECK(cond, message)                                  \
  do {                                                            \
    if (!(cond)) {                                                \
      std::ostringstream fgqCheckStream_;                         \
      fgqCheckStream_ << message;                                 \
      ::fgq::detail::fail(__FILE__, __LINE__, fgqCheckStream_.str()); \
    }                                                             \
  } while (false)
