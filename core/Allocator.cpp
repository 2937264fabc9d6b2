#include "core/Allocator.h"

#include <bit>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "core/Error.h"

namespace fgq {
namespace {

constexpr size_t kAlignment = 64;

struct State {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> freeBlocks;  // by rounded size
  AllocatorStats stats;
};

State& state() {
  static State* s = new State();  // never destroyed: storage may be released during static teardown
  return *s;
}

}  // namespace

Allocator& Allocator::instance() {
  static Allocator allocator;
  return allocator;
}

size_t Allocator::roundedSize(size_t bytes) {
  // Four classes per power of two keep the waste under 25% while letting nearby shapes share blocks.
  if (bytes <= 256) return 256;
  const size_t top = std::bit_floor(bytes);
  const size_t quarter = top / 4;
  return (bytes + quarter - 1) / quarter * quarter;
}

void* Allocator::allocate(size_t bytes) {
  const size_t size = roundedSize(bytes);
  State& s = state();
  {
    std::lock_guard lock(s.mutex);
    auto it = s.freeBlocks.find(size);
    if (it != s.freeBlocks.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      s.stats.reusedAllocations++;
      s.stats.bytesInUse += size;
      s.stats.bytesCached -= size;
      return ptr;
    }
  }
  void* ptr = std::aligned_alloc(kAlignment, size);
  if (!ptr) throw Error("out of memory allocating " + std::to_string(size) + " bytes");
  std::lock_guard lock(s.mutex);
  s.stats.freshAllocations++;
  s.stats.bytesInUse += size;
  return ptr;
}

void Allocator::release(void* ptr, size_t bytes) {
  if (!ptr) return;
  const size_t size = roundedSize(bytes);
  State& s = state();
  std::lock_guard lock(s.mutex);
  s.freeBlocks[size].push_back(ptr);
  s.stats.bytesInUse -= size;
  s.stats.bytesCached += size;
}

AllocatorStats Allocator::stats() const {
  State& s = state();
  std::lock_guard lock(s.mutex);
  return s.stats;
}

void Allocator::emptyCache() {
  State& s = state();
  std::lock_guard lock(s.mutex);
  for (auto& [size, blocks] : s.freeBlocks)
    for (void* ptr : blocks) std::free(ptr);
  s.freeBlocks.clear();
  s.stats.bytesCached = 0;
}

}  // namespace fgq
