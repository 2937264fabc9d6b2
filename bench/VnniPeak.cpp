#include "bench/VnniPeak.h"

#include <omp.h>

#include <chrono>
#include <cstdint>

namespace fgq::bench {

namespace {

// One step of the loop: 6 broadcasts, 24 vpdpbusd (64 products each) into zmm0-23, weights in zmm27-31.
void step(const uint8_t* bytes) {
  asm volatile(
      "vpbroadcastd (%0), %%zmm28\n"
      "vpdpbusd %%zmm29, %%zmm28, %%zmm0\n vpdpbusd %%zmm30, %%zmm28, %%zmm1\n vpdpbusd %%zmm31, %%zmm28, %%zmm2\n vpdpbusd %%zmm27, %%zmm28, %%zmm3\n"
      "vpbroadcastd 4(%0), %%zmm26\n"
      "vpdpbusd %%zmm29, %%zmm26, %%zmm4\n vpdpbusd %%zmm30, %%zmm26, %%zmm5\n vpdpbusd %%zmm31, %%zmm26, %%zmm6\n vpdpbusd %%zmm27, %%zmm26, %%zmm7\n"
      "vpbroadcastd 8(%0), %%zmm28\n"
      "vpdpbusd %%zmm29, %%zmm28, %%zmm8\n vpdpbusd %%zmm30, %%zmm28, %%zmm9\n vpdpbusd %%zmm31, %%zmm28, %%zmm10\n vpdpbusd %%zmm27, %%zmm28, %%zmm11\n"
      "vpbroadcastd 12(%0), %%zmm26\n"
      "vpdpbusd %%zmm29, %%zmm26, %%zmm12\n vpdpbusd %%zmm30, %%zmm26, %%zmm13\n vpdpbusd %%zmm31, %%zmm26, %%zmm14\n vpdpbusd %%zmm27, %%zmm26, %%zmm15\n"
      "vpbroadcastd 16(%0), %%zmm28\n"
      "vpdpbusd %%zmm29, %%zmm28, %%zmm16\n vpdpbusd %%zmm30, %%zmm28, %%zmm17\n vpdpbusd %%zmm31, %%zmm28, %%zmm18\n vpdpbusd %%zmm27, %%zmm28, %%zmm19\n"
      "vpbroadcastd 20(%0), %%zmm26\n"
      "vpdpbusd %%zmm29, %%zmm26, %%zmm20\n vpdpbusd %%zmm30, %%zmm26, %%zmm21\n vpdpbusd %%zmm31, %%zmm26, %%zmm22\n vpdpbusd %%zmm27, %%zmm26, %%zmm23\n"
      :
      : "r"(bytes)
      : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
        "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm26", "xmm28");
}

}  // namespace

double vnniPeakOpsPerSecond(double seconds) {
  constexpr int64_t kSteps = 1 << 20;
  constexpr double kOpsPerStep = 24.0 * 64 * 2;
  double total = 0;
#pragma omp parallel reduction(+ : total)
  {
    alignas(64) const uint8_t bytes[64] = {1, 2, 3, 4};
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    int64_t steps = 0;
    while (elapsed < seconds) {
      for (int64_t i = 0; i < kSteps; ++i) step(bytes);
      steps += kSteps;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    total += static_cast<double>(steps) * kOpsPerStep / elapsed;
  }
  return total;
}

}  // namespace fgq::bench
