#include "train/ConfigReader.h"

#include <fstream>
#include <functional>
#include <map>

#include "core/Error.h"
#include "core/Json.h"
#include "core/ReadFile.h"

namespace fgq {

struct ConfigNode::State {
  std::string source;
  nlohmann::json json, resolved;
  std::map<std::string, std::set<std::string>> read;  // node path -> keys read
};

namespace {

nlohmann::json::json_pointer pointerOf(const std::string& path) {
  std::string p;
  size_t start = 0;
  while (start <= path.size() && !path.empty()) {
    const size_t dot = path.find('.', start);
    p += "/" + path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return nlohmann::json::json_pointer(p);
}

std::string typeName(const nlohmann::json& v) {
  if (v.is_number_integer()) return "integer " + v.dump();
  if (v.is_number()) return "number " + v.dump();
  if (v.is_string()) return "string " + v.dump();
  if (v.is_boolean()) return "boolean " + v.dump();
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "null";
}

}  // namespace

ConfigNode::ConfigNode(std::shared_ptr<State> state, std::string path) : state_(std::move(state)), path_(std::move(path)) {}

ConfigNode ConfigNode::fromJson(nlohmann::json json, const std::string& source, const std::vector<std::string>& overrides) {
  if (!json.is_object()) throw Error(source + ": a config must be a JSON object");
  for (const std::string& o : overrides) {
    const size_t eq = o.find('=');
    if (eq == std::string::npos || eq == 0) throw Error("--set " + o + ": expected key.path=value");
    if (!isUtf8(o)) throw Error("--set " + o.substr(0, eq) + ": not valid UTF-8");
    const std::string key = o.substr(0, eq), text = o.substr(eq + 1);
    // A bare word is a string; what parses as JSON must also pass parseJson's limits.
    const nlohmann::json value = nlohmann::json::accept(text) ? parseJson(text, "--set " + key) : nlohmann::json(text);
    nlohmann::json* node = &json;
    for (size_t start = 0;;) {
      const size_t dot = key.find('.', start);
      const std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (dot == std::string::npos) {
        (*node)[part] = value;
        break;
      }
      if (!(*node)[part].is_object()) (*node)[part] = nlohmann::json::object();
      node = &(*node)[part];
      start = dot + 1;
    }
  }
  auto state = std::make_shared<State>();
  state->source = source;
  state->json = json;
  state->resolved = nlohmann::json::object();
  return ConfigNode(state, "");
}

ConfigNode ConfigNode::load(const std::string& path, const std::vector<std::string>& overrides) {
  return fromJson(parseJson(readFile(path, "config file"), path), path, overrides);
}

std::string ConfigNode::keyPath(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

void ConfigNode::fail(const std::string& key, const std::string& message) const {
  throw Error(state_->source + ": " + keyPath(key) + ": " + message);
}

const nlohmann::json& ConfigNode::object() const {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (path_.empty()) return state_->json;
  const auto pointer = pointerOf(path_);
  return state_->json.contains(pointer) ? state_->json.at(pointer) : kEmpty;
}

nlohmann::json& ConfigNode::resolvedObject() const {
  return path_.empty() ? state_->resolved : state_->resolved[pointerOf(path_)];
}

bool ConfigNode::has(const std::string& key) const { return object().contains(key); }

std::vector<std::string> ConfigNode::keys() const {
  std::vector<std::string> out;
  for (const auto& [key, value] : object().items()) out.push_back(key);
  return out;
}

ConfigNode ConfigNode::child(const std::string& key) const {
  state_->read[path_].insert(key);
  if (has(key) && !object().at(key).is_object()) fail(key, "expected an object, found " + typeName(object().at(key)));
  if (resolvedObject()[key].is_null()) resolvedObject()[key] = nlohmann::json::object();
  state_->read[keyPath(key)];  // so finish() looks inside, even when nothing in it was read
  return ConfigNode(state_, keyPath(key));
}

nlohmann::json ConfigNode::raw(const std::string& key, const nlohmann::json& defaultValue) const {
  state_->read[path_].insert(key);
  const nlohmann::json value = has(key) && !object().at(key).is_null() ? object().at(key) : defaultValue;
  resolvedObject()[key] = value;
  return value;
}

template <typename T>
T ConfigNode::convert(const std::string& key, const nlohmann::json& v) const {
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) fail(key, "expected true or false, found " + typeName(v));
  } else if constexpr (std::is_integral_v<T>) {
    if (!v.is_number_integer()) fail(key, "expected an integer, found " + typeName(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.is_number()) fail(key, "expected a number, found " + typeName(v));
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) fail(key, "expected a string, found " + typeName(v));
  } else {  // vectors
    if (!v.is_array()) fail(key, "expected an array, found " + typeName(v));
    T out;
    for (size_t i = 0; i < v.size(); ++i) out.push_back(convert<typename T::value_type>(key + "[" + std::to_string(i) + "]", v[i]));
    return out;
  }
  return v.get<T>();
}

template <typename T>
T ConfigNode::get(const std::string& key, const T& defaultValue) const {
  const std::optional<T> value = optional<T>(key);
  if (!value) resolvedObject()[key] = defaultValue;
  return value ? *value : defaultValue;
}

template <typename T>
T ConfigNode::require(const std::string& key) const {
  const std::optional<T> value = optional<T>(key);
  if (!value) fail(key, "required key is missing");
  return *value;
}

template <typename T>
std::optional<T> ConfigNode::optional(const std::string& key) const {
  state_->read[path_].insert(key);
  if (!has(key) || object().at(key).is_null()) return std::nullopt;
  T value = convert<T>(key, object().at(key));
  resolvedObject()[key] = object().at(key);
  return value;
}

void ConfigNode::finish() const {
  std::function<void(const nlohmann::json&, const std::string&)> visit = [&](const nlohmann::json& node, const std::string& path) {
    const auto& read = state_->read[path];
    for (const auto& [key, value] : node.items()) {
      const std::string full = path.empty() ? key : path + "." + key;
      if (!read.count(key)) {
        std::string known;
        for (const auto& k : read) known += (known.empty() ? "" : ", ") + k;
        throw Error(state_->source + ": unknown key '" + full + "'" + (known.empty() ? "" : " (known here: " + known + ")"));
      }
      if (value.is_object() && state_->read.count(full)) visit(value, full);
    }
  };
  visit(state_->json, "");
}

const nlohmann::json& ConfigNode::resolved() const { return state_->resolved; }

#define FGQ_CONFIG_TYPES(X) \
  X(bool) X(int64_t) X(double) X(std::string) X(std::vector<int64_t>) X(std::vector<double>) X(std::vector<std::string>)
#define FGQ_INSTANTIATE(T)                                                  \
  template T ConfigNode::get<T>(const std::string&, const T&) const;        \
  template T ConfigNode::require<T>(const std::string&) const;              \
  template std::optional<T> ConfigNode::optional<T>(const std::string&) const;
FGQ_CONFIG_TYPES(FGQ_INSTANTIATE)

}  // namespace fgq
