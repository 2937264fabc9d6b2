// The scalar twin of the VNNI kernel: the same int32 group sums (exact in any order) and the same f32
// operations in the same order, one output value at a time.
#include "infer/KernelCommon.h"

namespace fgq::infer {

void ternaryConvScalar(const PackedTernary& w, const ConvGeometry& g, const uint8_t* input, bool signedInput, const Epilogue& e) {
  const std::vector<int64_t> offsets = stepOffsets(w, g);
  const int64_t outH = g.outH(), outW = g.outW();
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t y = 0; y < outH; ++y)
      for (int64_t x = 0; x < outW; ++x) {
        const uint8_t* base = input + ((n * g.paddedH() + y * g.strideH) * g.paddedW() + x * g.strideW) * g.paddedC();
        const int64_t index = ((n * outH + y) * outW + x) * w.outC;
        for (int64_t k = 0; k < w.outC; ++k) {
          const int64_t block = k / kLanes, lane = k % kLanes;
          const int8_t* codes = w.codes.data() + block * w.steps * kLanes * 4 + lane * 4;
          float acc = 0;
          int64_t step = 0;
          for (int64_t seg = 0; seg < w.segments; ++seg) {
            int32_t sum = 0;
            for (; step < w.segmentEnd[static_cast<size_t>(seg)]; ++step)
              for (int64_t j = 0; j < 4; ++j) {
                const uint8_t byte = base[offsets[static_cast<size_t>(step)] + j];
                const int32_t code = signedInput ? static_cast<int8_t>(byte) : byte;
                sum += code * codes[step * kLanes * 4 + j];
              }
            acc = std::fma(static_cast<float>(sum), w.alphas[static_cast<size_t>((block * w.segments + seg) * kLanes + lane)], acc);
          }
          finishValue(e, k, index, acc);
        }
      }
}

}  // namespace fgq::infer
