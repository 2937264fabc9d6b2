#pragma once
// The epilogue of 16 output channels in AVX-512, in the order of the scalar finishValue (KernelCommon.h).
// Included only by the kernels compiled for AVX-512.
#include <immintrin.h>

#include "infer/TernaryConv.h"

namespace fgq::infer {

struct VectorEpilogue {
  __m512 scale, shift, inverse, lo, hi;
  __mmask16 mask;
  VectorEpilogue(const Epilogue& e, int64_t k0, int64_t outC)
      : inverse(_mm512_set1_ps(e.codeInverse)), lo(_mm512_set1_ps(e.lo)), hi(_mm512_set1_ps(e.hi)),
        mask(static_cast<__mmask16>((1u << std::min<int64_t>(kLanes, outC - k0)) - 1u)) {
    scale = _mm512_maskz_loadu_ps(mask, e.scale + k0);
    shift = _mm512_maskz_loadu_ps(mask, e.shift + k0);
  }
  // Channels k0.. of the value at `at` (an [N, OH, OW, K] offset, k0 included), from their f32 sums.
  void finish(const Epilogue& e, __m512 acc, int64_t at) const {
    __m512 y = _mm512_fmadd_ps(acc, scale, shift);
    if (e.residual) y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(mask, e.residual + at));
    if (e.relu) y = _mm512_max_ps(y, _mm512_setzero_ps());
    if (e.values) _mm512_mask_storeu_ps(e.values + at, mask, y);
    if (!e.codes) return;
    // Clamped before it is rounded (by the conversion, to nearest even, as nearbyint): lo and hi are
    // integers, so the order changes no code.
    const __m512 q = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(y, inverse), lo), hi);
    _mm512_mask_cvtepi32_storeu_epi8(e.codes + at, mask, _mm512_cvtps_epi32(q));
  }
};

}  // namespace fgq::infer
