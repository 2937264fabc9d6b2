#pragma once
// Strict reading of a JSON experiment config. Every key is read through a node that knows its path
// ("train.epochs"); a wrong type, a missing required key or, at finish(), any key nobody read is an
// error naming the file and the key path. Defaults that were used are written into resolved(), so the
// run directory records the complete configuration that ran.
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace fgq {

class ConfigNode {
 public:
  // Parses `path`; `overrides` are "a.b.c=value" (value as JSON, else as a string), applied first.
  static ConfigNode load(const std::string& path, const std::vector<std::string>& overrides = {});
  static ConfigNode fromJson(nlohmann::json json, const std::string& source, const std::vector<std::string>& overrides = {});

  bool has(const std::string& key) const;
  template <typename T>
  T get(const std::string& key, const T& defaultValue) const;
  template <typename T>
  T require(const std::string& key) const;
  template <typename T>
  std::optional<T> optional(const std::string& key) const;
  ConfigNode child(const std::string& key) const;  // an object; missing means empty
  // The value as JSON, for keys that take more than one type ("group_size": 4 or "filter").
  nlohmann::json raw(const std::string& key, const nlohmann::json& defaultValue) const;
  std::vector<std::string> keys() const;            // marks nothing as read

  // Throws for the first key, anywhere under the root, that was never read.
  void finish() const;
  const nlohmann::json& resolved() const;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;
  std::string keyPath(const std::string& key) const;

 private:
  struct State;
  ConfigNode(std::shared_ptr<State> state, std::string path);
  const nlohmann::json& object() const;
  nlohmann::json& resolvedObject() const;
  template <typename T>
  T convert(const std::string& key, const nlohmann::json& value) const;

  std::shared_ptr<State> state_;
  std::string path_;  // "" for the root, else "a.b"
};

}  // namespace fgq
