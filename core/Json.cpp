#include "core/Json.h"

#include "core/Error.h"

namespace fgq {

nlohmann::json parseJson(std::string_view text, const std::string& source) {
  const nlohmann::json::parser_callback_t limitDepth = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    const bool opens = event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start;
    if (opens && depth >= kMaxJsonDepth)
      throw Error(source + ": malformed JSON: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return true;
  };
  try {
    return nlohmann::json::parse(text, limitDepth);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": malformed JSON: " + e.what());
  }
}

bool isUtf8(std::string_view text) {
  // The serializer applies the same UTF-8 check the parser applies to strings read from files.
  try {
    (void)nlohmann::json(std::string(text)).dump();
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

}  // namespace fgq
