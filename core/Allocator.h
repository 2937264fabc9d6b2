#pragma once
// A caching allocator for tensor storage. Freed blocks are kept in size classes and handed out again,
// so that after the first training step a step of the same shapes maps no new memory: on machines
// that fault fresh pages in from a host, a fresh page costs far more than the arithmetic on it
// (docs/engine.md has the measurement). Thread-safe.
#include <cstddef>
#include <cstdint>

namespace fgq {

struct AllocatorStats {
  int64_t freshAllocations = 0;  // blocks obtained from the system (each one page-faults when touched)
  int64_t reusedAllocations = 0;
  size_t bytesInUse = 0;
  size_t bytesCached = 0;  // freed, kept for reuse
};

class Allocator {
 public:
  static Allocator& instance();
  // 64-byte aligned block of at least `bytes` bytes (zero bytes gives a valid, unique pointer).
  void* allocate(size_t bytes);
  void release(void* ptr, size_t bytes);
  AllocatorStats stats() const;
  void emptyCache();  // return cached blocks to the system

  // The size class a request is rounded up to; blocks are reused only within a class.
  static size_t roundedSize(size_t bytes);
};

}  // namespace fgq
