#pragma once
// A map from a key (shapes, parameters, layouts as a string) to the primitives of one op configuration.
// Entries are built once and never move or die, so references stay valid across threads.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace fgq::onednn {

template <typename Entry>
class PrimitiveCache {
 public:
  template <typename Make>
  const Entry& get(const std::string& key, Make&& make) {
    std::lock_guard lock(mutex_);
    auto& slot = entries_[key];
    if (!slot) slot = std::make_unique<Entry>(make());
    return *slot;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
};

}  // namespace fgq::onednn
