#pragma once
// The machine's ceiling for the exact kernel's instruction: vpdpbusd on 512-bit registers, measured by a
// loop that does nothing else (24 independent sums, each 4 broadcast bytes times 4 weight vectors, as the
// kernel's 6-pixel x 4-block tiles), on every OpenMP thread at once. Needs AVX-512 VNNI.

namespace fgq::bench {

// Multiply-add operations (2 per product) per second over all threads, run for about `seconds`.
double vnniPeakOpsPerSecond(double seconds);

}  // namespace fgq::bench
