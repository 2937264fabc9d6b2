// The exact ternary kernel on AVX-512 VNNI. A tile is M consecutive output pixels ([N, OH, OW] flattened,
// so a tile may span rows and images: 7x7 layers are not cut into 6 + 1) times J blocks of 16
// output channels: per step, each pixel's 4 input bytes are broadcast and vpdpbusd adds their products
// with 16 channels' 4 codes into that group's int32 sums; at a segment's end the sums are converted and
// multiplied by the group's alphas into the f32 accumulators (vfmadd, as the twin's std::fma). An s8
// input is shifted to u8 by flipping its sign bit, and 128 times the group's code sum taken off after.
// Both cores take (run of pixels, column of 1, 2 or 4 blocks) work items; a core finds a run's input
// pixels once for all of its columns.
#include <immintrin.h>

#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "infer/KernelCommon.h"
#include "infer/VectorEpilogue.h"

namespace fgq::infer {

namespace {

struct Args {
  const PackedTernary& w;
  const ConvGeometry& g;
  const uint8_t* input;
  const Epilogue& e;
  const int64_t* offsets;
};

// A pixel's 4 input bytes in every lane; s8 bytes shifted to u8 by flipping their sign bits.
template <bool Signed>
inline __m512i inputBytes(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  const __m512i x = _mm512_set1_epi32(v);
  if constexpr (Signed) return _mm512_xor_si512(x, _mm512_set1_epi32(static_cast<int32_t>(0x80808080u)));
  return x;
}

// sum += the products of x's u8 and w's s8 bytes, 4 to a lane, in the register that holds the sum. Written
// as the intrinsic, GCC 12 copies every sum to a fresh register and back around each vpdpbusd (two moves
// per multiply-add, which left the loop bound by instruction dispatch).
inline void dotAdd(__m512i& sum, __m512i x, __m512i w) { asm("vpdpbusd %2, %1, %0" : "+v"(sum) : "v"(x), "v"(w)); }

// The first input byte of each of the `count` output pixels from `pixel0` in the padded input: one division
// for the first pixel, then a walk along the row.
void pixelInputs(const Args& a, int64_t pixel0, int64_t count, const uint8_t** in) {
  const ConvGeometry& g = a.g;
  const int64_t outW = g.outW(), outH = g.outH(), row = g.paddedW() * g.paddedC(), column = g.strideW * g.paddedC();
  const int64_t line = pixel0 / outW;
  int64_t x = pixel0 - line * outW, y = line % outH;
  const uint8_t* image = a.input + (line / outH) * g.paddedH() * row;
  for (int64_t m = 0; m < count; ++m) {
    in[m] = image + y * g.strideH * row + x * column;
    if (++x < outW) continue;
    x = 0;
    if (++y < outH) continue;
    y = 0;
    image += g.paddedH() * row;
  }
}

// sum[m][j] += one step's products for pixel m and block j.
template <int M, int J, bool Signed>
inline __attribute__((always_inline)) void addStep(const Args& a, const uint8_t* const* in, const int8_t* codes, int64_t step, __m512i (&sum)[M][J]) {
  const int64_t blockCodes = a.w.steps * kLanes * 4;
  __m512i wv[J];
#pragma GCC unroll 12
  for (int j = 0; j < J; ++j) wv[j] = _mm512_loadu_si512(codes + j * blockCodes + step * kLanes * 4);
  const int64_t offset = a.offsets[step];
#pragma GCC unroll 12
  for (int m = 0; m < M; ++m) {
    const __m512i xv = inputBytes<Signed>(in[m] + offset);
#pragma GCC unroll 12
    for (int j = 0; j < J; ++j) dotAdd(sum[m][j], xv, wv[j]);
  }
}

// sum = the products of steps [step, end). A segment of 16 steps (a group of 64 channels) is unrolled
// whole: no loop branch, and the compiler schedules across steps (1.5-3% on ResNet-50's layers at N = 64).
template <int M, int J, bool Signed>
inline __attribute__((always_inline)) void addSegment(const Args& a, const uint8_t* const* in, const int8_t* codes, int64_t step, int64_t end,
                                                      __m512i (&sum)[M][J]) {
#pragma GCC unroll 12
  for (int m = 0; m < M; ++m)
#pragma GCC unroll 12
    for (int j = 0; j < J; ++j) sum[m][j] = _mm512_setzero_si512();
  if (end - step == 16) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) addStep<M, J, Signed>(a, in, codes, step + i, sum);
    return;
  }
  for (; step < end; ++step) addStep<M, J, Signed>(a, in, codes, step, sum);
}

// The epilogue of M pixels x J blocks; `index` is the first pixel's [N, OH, OW, K] offset. Inlined into
// the tile, so that the accumulators stay in registers and the epilogue overlaps the tile's last sums
// (3-5% on ResNet-50's layers at N = 64; 7% on the expanding 1x1 convs).
template <int M, int J>
inline __attribute__((always_inline)) void finishTile(const Args& a, const __m512 (&acc)[M][J], int64_t block0, int64_t index) {
#pragma GCC unroll 12
  for (int j = 0; j < J; ++j) {
    const int64_t k0 = (block0 + j) * kLanes;
    const VectorEpilogue v(a.e, k0, a.w.outC);
#pragma GCC unroll 12
    for (int m = 0; m < M; ++m) v.finish(a.e, acc[m][j], index + m * a.w.outC + k0);
  }
}

// OneStep: every segment is one step (N = 4 on channels in fours), so each sum is scaled as soon as it
// is made and none outlives its step: more pixels fit in the registers.
template <int M, int J, bool Signed, bool OneStep>
void tile(const Args& a, const uint8_t* const* in, int64_t pixel0, int64_t block0) {
  const PackedTernary& w = a.w;
  const int8_t* codes = w.codes.data() + block0 * w.steps * kLanes * 4;
  const int64_t blockCodes = w.steps * kLanes * 4;
  __m512 acc[M][J];
#pragma GCC unroll 12
  for (int m = 0; m < M; ++m)
#pragma GCC unroll 12
    for (int j = 0; j < J; ++j) acc[m][j] = _mm512_setzero_ps();
  int64_t step = 0;
  for (int64_t seg = 0; seg < w.segments; ++seg) {
    if constexpr (OneStep) {
      __m512i wv[J], shift[J];
      __m512 alpha[J];
#pragma GCC unroll 12
      for (int j = 0; j < J; ++j) {
        const int64_t at = ((block0 + j) * w.segments + seg) * kLanes;
        wv[j] = _mm512_loadu_si512(codes + j * blockCodes + seg * kLanes * 4);
        alpha[j] = _mm512_loadu_ps(w.alphas.data() + at);
        if constexpr (Signed) shift[j] = _mm512_slli_epi32(_mm512_loadu_si512(w.codeSums.data() + at), 7);
      }
      const int64_t offset = a.offsets[seg];
#pragma GCC unroll 12
      for (int m = 0; m < M; ++m) {
        const __m512i xv = inputBytes<Signed>(in[m] + offset);
#pragma GCC unroll 12
        for (int j = 0; j < J; ++j) {
          __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), xv, wv[j]);
          if constexpr (Signed) sum = _mm512_sub_epi32(sum, shift[j]);
          acc[m][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), alpha[j], acc[m][j]);
        }
      }
      continue;
    }
    __m512i sum[M][J];
    const int64_t end = w.segmentEnd[static_cast<size_t>(seg)];
    addSegment<M, J, Signed>(a, in, codes, step, end, sum);
    step = end;
#pragma GCC unroll 12
    for (int j = 0; j < J; ++j) {
      const int64_t at = ((block0 + j) * w.segments + seg) * kLanes;
      const __m512 alpha = _mm512_loadu_ps(w.alphas.data() + at);
      __m512i shift = _mm512_setzero_si512();
      if constexpr (Signed) shift = _mm512_slli_epi32(_mm512_loadu_si512(w.codeSums.data() + at), 7);
#pragma GCC unroll 12
      for (int m = 0; m < M; ++m) {
        __m512i s = sum[m][j];
        if constexpr (Signed) s = _mm512_sub_epi32(s, shift);
        acc[m][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), alpha, acc[m][j]);
      }
    }
  }
  finishTile<M, J>(a, acc, block0, pixel0 * w.outC);
}

// Long segments (N of 32 and more) in layers of few segments: M pixels x 4 blocks of int32 sums fill the
// registers, and the f32 accumulators live in memory (L1), read and written once per segment, a few
// operations per 8 or more vpdpbusd per sum. Twice the outputs per tile as register accumulators allow:
// half the code loads and broadcasts per vpdpbusd. Same order of float operations as tile().
template <int M, bool Signed>
void wideTile(const Args& a, const uint8_t* const* in, int64_t pixel0, int64_t block0) {
  constexpr int J = 4;
  const PackedTernary& w = a.w;
  const int8_t* codes = w.codes.data() + block0 * w.steps * kLanes * 4;
  alignas(64) float accumulators[M][J][kLanes] = {};
  int64_t step = 0;
  for (int64_t seg = 0; seg < w.segments; ++seg) {
    __m512i sum[M][J];
    const int64_t end = w.segmentEnd[static_cast<size_t>(seg)];
    addSegment<M, J, Signed>(a, in, codes, step, end, sum);
    step = end;
#pragma GCC unroll 12
    for (int j = 0; j < J; ++j) {
      const int64_t at = ((block0 + j) * w.segments + seg) * kLanes;
      const __m512 alpha = _mm512_loadu_ps(w.alphas.data() + at);
      __m512i shift = _mm512_setzero_si512();
      if constexpr (Signed) shift = _mm512_slli_epi32(_mm512_loadu_si512(w.codeSums.data() + at), 7);
#pragma GCC unroll 12
      for (int m = 0; m < M; ++m) {
        __m512i s = sum[m][j];
        if constexpr (Signed) s = _mm512_sub_epi32(s, shift);
        _mm512_store_ps(accumulators[m][j], _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), alpha, _mm512_load_ps(accumulators[m][j])));
      }
    }
  }
  __m512 acc[M][J];
#pragma GCC unroll 12
  for (int m = 0; m < M; ++m)
#pragma GCC unroll 12
    for (int j = 0; j < J; ++j) acc[m][j] = _mm512_load_ps(accumulators[m][j]);
  finishTile<M, J>(a, acc, block0, pixel0 * w.outC);
}

// Pixels per tile: as many as leave registers for the sums, accumulators, codes and the broadcast.
constexpr int kPixels1 = 12, kPixelsWide = 6;
constexpr int pixelsForTwo(bool oneStep) { return oneStep ? 8 : 6; }
// Segments of at least this many steps (32 input channels) take the wide tiles, in layers of fewer than
// kWideSegments of them. Where segments are many (3x3 convs, 1x1 convs over 256 channels and more at
// N = 64), the accumulators' load and store at every segment's end cost more than the code loads the wide
// tile saves: there the register tiles ran ResNet-50 2-4% faster (docs/integer-inference.md).
constexpr int64_t kWideSteps = 8, kWideSegments = 4;
// Pixels per work item: a multiple of every tile's. A core sweeps a run's pixels through every column, so
// each of its pixels is a stream of outputs. Where the epilogue reads or writes f32 values (4 bytes an
// output: the residual, and the values of the convs that expand channels or downsample), a run of one
// 6-pixel tile keeps the streams few enough for the hardware's prefetch: 17-30% on ResNet-50's expanding
// convs of stages 3 and 4; layers that write only codes ran 1-5% slower so (docs/integer-inference.md).
// Segments of one step (N = 4) keep long runs (short ones not measured there).
constexpr int64_t kRun = 24, kValuesRun = 6;
static_assert(kValuesRun <= kRun);
static_assert(kRun % kPixels1 == 0 && kRun % kPixelsWide == 0 && kRun % pixelsForTwo(true) == 0 && kRun % pixelsForTwo(false) == 0);
using TileFunction = void (*)(const Args&, const uint8_t* const*, int64_t, int64_t);

template <int J, bool Signed, bool OneStep, int... M>
constexpr std::array<TileFunction, sizeof...(M)> tiles(std::integer_sequence<int, M...>) {
  return {&tile<M + 1, J, Signed, OneStep>...};
}

template <bool Signed, int... M>
constexpr std::array<TileFunction, sizeof...(M)> wideTiles(std::integer_sequence<int, M...>) {
  return {&wideTile<M + 1, Signed>...};
}

// A column of tiles: `blocks` (1, 2 or 4) blocks of output channels from `block0`.
struct Column {
  int64_t block0, blocks;
};

std::vector<Column> columns(int64_t blocks, bool wide) {
  std::vector<Column> out;
  for (int64_t b = 0; b < blocks;) {
    const int64_t take = wide && b + 4 <= blocks ? 4 : b + 2 <= blocks ? 2 : 1;
    out.push_back({b, take});
    b += take;
  }
  return out;
}

template <bool Signed, bool OneStep>
void run(const Args& a) {
  static constexpr auto one = tiles<1, Signed, OneStep>(std::make_integer_sequence<int, kPixels1>{});
  static constexpr auto two = tiles<2, Signed, OneStep>(std::make_integer_sequence<int, pixelsForTwo(OneStep)>{});
  static constexpr auto four = wideTiles<Signed>(std::make_integer_sequence<int, kPixelsWide>{});
  const std::vector<Column> cols = columns(a.w.blocks, !OneStep && a.w.steps >= kWideSteps * a.w.segments && a.w.segments < kWideSegments);
  const int64_t perRun = !OneStep && (a.e.values || a.e.residual) ? kValuesRun : kRun;
  const int64_t pixels = a.g.batch * a.g.outH() * a.g.outW(), runs = (pixels + perRun - 1) / perRun, count = static_cast<int64_t>(cols.size());
#pragma omp parallel
  {
    const uint8_t* in[kRun];
    int64_t inputsOf = -1;  // the run whose pixels `in` holds
#pragma omp for collapse(2) schedule(static)
    for (int64_t r = 0; r < runs; ++r)
      for (int64_t c = 0; c < count; ++c) {
        const int64_t first = r * perRun, end = std::min(pixels, first + perRun);
        if (inputsOf != r) pixelInputs(a, first, end - first, in);
        inputsOf = r;
        const Column& col = cols[static_cast<size_t>(c)];
        const int64_t perTile = col.blocks == 4 ? kPixelsWide : col.blocks == 2 ? pixelsForTwo(OneStep) : kPixels1;
        const TileFunction* functions = col.blocks == 4 ? four.data() : col.blocks == 2 ? two.data() : one.data();
        for (int64_t p = first; p < end; p += perTile) functions[std::min(perTile, end - p) - 1](a, in + (p - first), p, col.block0);
      }
  }
}

}  // namespace

bool cpuHasVnni() { return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw"); }

void ternaryConvVnni(const PackedTernary& w, const ConvGeometry& g, const uint8_t* input, bool signedInput, const Epilogue& e) {
  FGQ_CHECK(cpuHasVnni(), "the exact ternary kernel needs AVX-512 VNNI, which this CPU lacks");
  const std::vector<int64_t> offsets = stepOffsets(w, g);
  const Args a{w, g, input, e, offsets.data()};
  const bool oneStep = w.steps == w.segments;
  if (signedInput) oneStep ? run<true, true>(a) : run<true, false>(a);
  else oneStep ? run<false, true>(a) : run<false, false>(a);
}

}  // namespace fgq::infer
