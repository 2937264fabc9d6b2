// The exact ternary kernel on AMX (Intel's tile unit): one tdpbusd multiplies 16 output pixels' input
// bytes (a tile of 16 rows x K bytes) by 16 output channels' codes (K/4 rows of 4 codes x 16 channels:
// the packed layout as it is) into 16 x 16 int32 sums. With K = N (16, 32 or 64 input channels at one
// kernel position) that is one group, whose sums are then stored, converted and multiplied by its alphas
// into f32 accumulators, as the twin does (std::fma, group by group); filter and layer groups add every
// position's tdpbusd into the same sums first. Pixels are taken 16 at a time along runs whose input
// rows lie a constant stride apart: for stride 1 the whole padded image, row after row (the kW - 1
// columns at each row's end are computed and dropped); for larger strides one output row.
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "infer/KernelCommon.h"
#include "infer/VectorEpilogue.h"

namespace fgq::infer {

namespace {

constexpr int kTileRows = 16;
constexpr long kArchRequestPermission = 0x1023, kTileDataFeature = 18;  // Linux: arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)

struct alignas(64) TileConfig {
  uint8_t palette = 1, startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t bytesPerRow[16] = {};
  uint8_t rows[16] = {};
};

// Tiles 0-3: the int32 sums of two pixel tiles x two blocks of 16 channels (2p + j); 4, 5: the two pixel
// tiles' input bytes; 6, 7: the two blocks' codes. Each input tile meets both code tiles and each code
// tile both input tiles, which halves the loads per tdpbusd and keeps four of them in flight.
TileConfig tileConfig(int64_t chunkBytes) {
  TileConfig c;
  for (int t = 0; t < 8; ++t) {
    const bool codes = t >= 6;
    c.rows[t] = codes ? static_cast<uint8_t>(chunkBytes / 4) : kTileRows;
    c.bytesPerRow[t] = t == 4 || t == 5 ? static_cast<uint16_t>(chunkBytes) : 64;
  }
  return c;
}

// A segment's steps cut into chunks of `chunkSteps` steps, each at one position on consecutive channels.
struct Chunks {
  int64_t chunkSteps = 0;
  std::vector<int64_t> first;     // per chunk: its first step
  std::vector<int64_t> segmentEnd;  // per segment: one past its last chunk
};

// Empty `first` when some segment is not made of whole chunks of one size (then the VNNI kernel runs).
Chunks chunksOf(const PackedTernary& w) {
  Chunks c;
  auto at = [](const std::vector<int32_t>& v, int64_t i) { return v[static_cast<size_t>(i)]; };
  int64_t s = 0;
  for (int64_t seg = 0; seg < w.segments; ++seg) {
    const int64_t end = at(w.segmentEnd, seg);
    while (s < end) {
      int64_t run = 1;
      while (s + run < end && run < 16 && at(w.stepPosition, s + run) == at(w.stepPosition, s) &&
             at(w.stepChannel, s + run) == at(w.stepChannel, s) + 4 * run)
        ++run;
      if (c.chunkSteps == 0) c.chunkSteps = run;
      if (run != c.chunkSteps) return {};
      c.first.push_back(s);
      s += run;
    }
    c.segmentEnd.push_back(static_cast<int64_t>(c.first.size()));
  }
  if (c.chunkSteps != 4 && c.chunkSteps != 8 && c.chunkSteps != 16) return {};
  return c;
}

struct Args {
  const PackedTernary& w;
  const ConvGeometry& g;
  const uint8_t* input;
  const Epilogue& e;
  const std::vector<int64_t>& offsets;
  const Chunks& chunks;
};

// Sixteen pixels of a run: where their input starts, the stride between them, and the output pixel
// each one is (-1: a dropped column).
struct PixelTile {
  const uint8_t* input;
  int64_t stride;
  int64_t output[kTileRows];
};

template <int P, int J>
using Sums = float[P][J][kTileRows][kLanes];

// Adds segment `seg`'s group sums times their alphas to the f32 accumulators; after the last segment
// the sums go straight to the epilogue (a store and a load of every accumulator fewer).
template <int P, int J>
void accumulate(const Args& a, const PixelTile* t, const int32_t (&sums)[P][J][kTileRows][kLanes], int64_t seg, int64_t block0, Sums<P, J>& acc) {
  const bool last = seg + 1 == a.w.segments;
  for (int j = 0; j < J; ++j) {
    const int64_t k0 = (block0 + j) * kLanes;
    const __m512 alpha = _mm512_loadu_ps(a.w.alphas.data() + ((block0 + j) * a.w.segments + seg) * kLanes);
    const VectorEpilogue v(a.e, k0, a.w.outC);
    for (int p = 0; p < P; ++p)
      for (int r = 0; r < kTileRows; ++r) {
        const __m512 before = seg == 0 ? _mm512_setzero_ps() : _mm512_load_ps(acc[p][j][r]);
        const __m512 sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(sums[p][j][r])), alpha, before);
        if (!last) _mm512_store_ps(acc[p][j][r], sum);
        else if (t[p].output[r] >= 0) v.finish(a.e, sum, t[p].output[r] * a.w.outC + k0);
      }
  }
}

// The residual is read only by the epilogue, after every tdpbusd: asking for it first hides its latency.
template <int P, int J>
void prefetchResidual(const Args& a, const PixelTile* t, int64_t block0) {
  if (!a.e.residual) return;
  for (int p = 0; p < P; ++p)
    for (int r = 0; r < kTileRows; ++r)
      if (t[p].output[r] >= 0)
        for (int j = 0; j < J; ++j)
          _mm_prefetch(reinterpret_cast<const char*>(a.e.residual + t[p].output[r] * a.w.outC + (block0 + j) * kLanes), _MM_HINT_T0);
}

// P (1 or 2) pixel tiles x J (1 or 2) blocks of output channels from block0 on.
template <int P, int J>
void tile(const Args& a, const PixelTile* t, int64_t block0) {
  const PackedTernary& w = a.w;
  const int64_t blockCodes = w.steps * kLanes * 4;
  const int8_t* codes = w.codes.data() + block0 * blockCodes;
  alignas(64) int32_t sums[P][J][kTileRows][kLanes];
  alignas(64) Sums<P, J> acc;
  prefetchResidual<P, J>(a, t, block0);
  int64_t chunk = 0;
  for (int64_t seg = 0; seg < w.segments; ++seg) {
    _tile_zero(0);
    if constexpr (J == 2) _tile_zero(1);
    if constexpr (P == 2) _tile_zero(2);
    if constexpr (P == 2 && J == 2) _tile_zero(3);
    for (; chunk < a.chunks.segmentEnd[static_cast<size_t>(seg)]; ++chunk) {
      const int64_t step = a.chunks.first[static_cast<size_t>(chunk)], offset = a.offsets[static_cast<size_t>(step)];
      _tile_loadd(6, codes + step * kLanes * 4, 64);
      if constexpr (J == 2) _tile_loadd(7, codes + blockCodes + step * kLanes * 4, 64);
      _tile_loadd(4, t[0].input + offset, t[0].stride);
      _tile_dpbusd(0, 4, 6);
      if constexpr (J == 2) _tile_dpbusd(1, 4, 7);
      if constexpr (P == 2) {
        _tile_loadd(5, t[1].input + offset, t[1].stride);
        _tile_dpbusd(2, 5, 6);
        if constexpr (J == 2) _tile_dpbusd(3, 5, 7);
      }
    }
    _tile_stored(0, sums[0][0], 64);
    if constexpr (J == 2) _tile_stored(1, sums[0][J - 1], 64);
    if constexpr (P == 2) _tile_stored(2, sums[P - 1][0], 64);
    if constexpr (P == 2 && J == 2) _tile_stored(3, sums[P - 1][J - 1], 64);
    accumulate<P, J>(a, t, sums, seg, block0, acc);
  }
}

// The work item (pair of pixel tiles `i`, pair of blocks) with as many of each as there are.
void tilePair(const Args& a, const std::vector<PixelTile>& tiles, int64_t i, int64_t block0) {
  const bool twoTiles = 2 * i + 1 < static_cast<int64_t>(tiles.size()), twoBlocks = block0 + 1 < a.w.blocks;
  const PixelTile* t = tiles.data() + 2 * i;
  if (twoTiles && twoBlocks) tile<2, 2>(a, t, block0);
  else if (twoTiles) tile<2, 1>(a, t, block0);
  else if (twoBlocks) tile<1, 2>(a, t, block0);
  else tile<1, 1>(a, t, block0);
}

// The pixel tiles of image n: runs of constant input stride, 16 pixels at a time.
std::vector<PixelTile> pixelTiles(const ConvGeometry& g, const uint8_t* input, int64_t n) {
  std::vector<PixelTile> tiles;
  const int64_t outH = g.outH(), outW = g.outW(), rowBytes = g.paddedW() * g.paddedC();
  const uint8_t* image = input + n * g.paddedH() * rowBytes;
  auto cut = [&](const uint8_t* start, int64_t stride, int64_t count, int64_t width, int64_t firstOutput) {
    for (int64_t p0 = 0; p0 < count; p0 += kTileRows) {
      PixelTile t{start + p0 * stride, stride, {}};
      for (int r = 0; r < kTileRows; ++r) {
        const int64_t p = p0 + r, x = p % width;
        t.output[r] = p < count && x < outW ? firstOutput + (p / width) * outW + x : -1;
      }
      tiles.push_back(t);
    }
  };
  if (g.strideH == 1 && g.strideW == 1) {
    cut(image, g.paddedC(), (outH - 1) * g.paddedW() + outW, g.paddedW(), n * outH * outW);
  } else {
    for (int64_t y = 0; y < outH; ++y) cut(image + y * g.strideH * rowBytes, g.strideW * g.paddedC(), outW, outW, (n * outH + y) * outW);
  }
  return tiles;
}

}  // namespace

// CPUID leaf 7 rather than __builtin_cpu_supports: clang 14 (the fuzzing build) knows no "amx-*" names.
bool cpuHasAmx() {
  static const bool usable = [] {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    const bool tile = edx & (1u << 24), int8 = edx & (1u << 25);
    return tile && int8 && syscall(SYS_arch_prctl, kArchRequestPermission, kTileDataFeature) == 0;
  }();
  return usable;
}

bool amxFits(const PackedTernary& w) { return !chunksOf(w).first.empty(); }

void ternaryConvAmx(const PackedTernary& w, const ConvGeometry& g, const uint8_t* input, bool signedInput, const Epilogue& e) {
  FGQ_CHECK(cpuHasAmx(), "the AMX ternary kernel needs AMX-INT8, which this CPU (or kernel) does not offer");
  FGQ_CHECK(!signedInput, "the AMX ternary kernel takes u8 inputs");
  const Chunks chunks = chunksOf(w);
  FGQ_CHECK(!chunks.first.empty(), "the AMX ternary kernel needs groups of 16, 32 or 64 whole channels");
  const std::vector<int64_t> offsets = stepOffsets(w, g);
  const Args a{w, g, input, e, offsets, chunks};
  std::vector<PixelTile> tiles;
  for (int64_t n = 0; n < g.batch; ++n) {
    const std::vector<PixelTile> image = pixelTiles(g, input, n);
    tiles.insert(tiles.end(), image.begin(), image.end());
  }
  const int64_t blockPairs = (w.blocks + 1) / 2, tilePairs = (static_cast<int64_t>(tiles.size()) + 1) / 2;
  const TileConfig config = tileConfig(chunks.chunkSteps * 4);
#pragma omp parallel
  {
    _tile_loadconfig(&config);
#pragma omp for collapse(2) schedule(static)
    for (int64_t i = 0; i < tilePairs; ++i)
      for (int64_t pair = 0; pair < blockPairs; ++pair) tilePair(a, tiles, i, 2 * pair);
    _tile_release();
  }
}

}  // namespace fgq::infer
