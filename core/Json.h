#pragma once
// JSON from files strangers send (configs, safetensors headers, model descriptions): every error names
// where the text came from, and nesting deeper than kMaxJsonDepth is refused while parsing, because
// copying a parsed value recurses once per level (100,000 nested brackets overflowed the stack).
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace fgq {

inline constexpr int kMaxJsonDepth = 100;

// Throws fgq::Error "SOURCE: malformed JSON: ..." (syntax, a number out of a double's range, too deep).
nlohmann::json parseJson(std::string_view text, const std::string& source);

// Text that can become a JSON string (command-line values do not pass through the parser's check).
bool isUtf8(std::string_view text);

}  // namespace fgq
