//===- DotPeaks.cpp - what the host's int8 dot-product instructions can do ===//
//
// Every probe keeps 12 independent accumulator chains (enough to cover the
// latency of each instruction at its throughput on the cores Tern targets)
// and hides its inputs behind empty asm statements so that nothing is
// folded or hoisted out of the loop.
//
//===----------------------------------------------------------------------===//
#include "tools/tern-bench/DotPeaks.h"

#include "runtime/include/tern/runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace tern::measure {
namespace {

constexpr int kChains = 12;
constexpr int kRuns = 3;

/// The best GMAC/s of kRuns calls of probe(iterations), each doing
/// `macsPerIteration` multiply-accumulates an iteration.
template <typename Probe>
double bestGmacs(int64_t iterations, double macsPerIteration, Probe probe) {
  double best = 0;
  volatile int sink = 0;
  for (int run = 0; run < kRuns; ++run) {
    auto start = std::chrono::steady_clock::now();
    sink = sink + probe(iterations);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(iterations) * macsPerIteration / seconds / 1e9);
  }
  return best;
}

#if defined(__x86_64__)

// The vector probes are written in assembly: in C, the compiler would
// rightly compute a product of the same operands only once. Each iteration
// issues 12 products into 12 accumulators (registers 0-11) from the two
// operands in registers 14 and 15; the products of vpmaddubsw go through
// register 12 (each write renames it, so the chains stay independent).
#define TERN_TWELVE(step) step(0) step(1) step(2) step(3) step(4) step(5) step(6) step(7) \
  step(8) step(9) step(10) step(11)
#define TERN_MADDUBS_ADD(reg, i)                                                       \
  "vpmaddubsw %%" reg "14, %%" reg "15, %%" reg "12\n\t"                               \
  "vpaddw %%" reg "12, %%" reg #i ", %%" reg #i "\n\t"
#define TERN_YMM_MADDUBS_ADD(i) TERN_MADDUBS_ADD("ymm", i)
#define TERN_ZMM_MADDUBS_ADD(i) TERN_MADDUBS_ADD("zmm", i)
#define TERN_DPBUSD(reg, i) "vpdpbusd %%" reg "15, %%" reg "14, %%" reg #i "\n\t"
#define TERN_YMM_DPBUSD(i) "%{vex%} " TERN_DPBUSD("ymm", i)
#define TERN_ZMM_DPBUSD(i) TERN_DPBUSD("zmm", i)
#define TERN_PROBE_LOOP(body, clobbers...)                                             \
  asm volatile("vpxor %%xmm14, %%xmm14, %%xmm14\n\t"                                    \
               "vpxor %%xmm15, %%xmm15, %%xmm15\n\t"                                    \
               "1:\n\t" TERN_TWELVE(body) "dec %0\n\t"                                  \
               "jnz 1b\n\t"                                                            \
               "vzeroupper"                                                             \
               : "+r"(iterations)                                                       \
               :                                                                        \
               : "cc", clobbers)
#define TERN_VECTOR_CLOBBERS(reg)                                                      \
  reg "0", reg "1", reg "2", reg "3", reg "4", reg "5", reg "6", reg "7", reg "8", reg "9", \
      reg "10", reg "11", reg "12", reg "14", reg "15"

#define TERN_VECTOR_PROBE(name, step)                                                  \
  int name(int64_t iterations) {                                                       \
    TERN_PROBE_LOOP(step, TERN_VECTOR_CLOBBERS("xmm"));                                \
    return 0;                                                                          \
  }
// The AVX2 kernels' step: 32 byte products summed in pairs into int16.
TERN_VECTOR_PROBE(maddubsAddYmm, TERN_YMM_MADDUBS_ADD)
TERN_VECTOR_PROBE(maddubsAddZmm, TERN_ZMM_MADDUBS_ADD)
TERN_VECTOR_PROBE(dpbusdYmm, TERN_YMM_DPBUSD)
TERN_VECTOR_PROBE(dpbusdZmm, TERN_ZMM_DPBUSD)

// AMX: the prefill kernels' step, 2 x 2 accumulator tiles fed by two
// activation and two weight tiles; with `loads`, the four input tiles are
// reloaded from L1 every step as the kernels do.
struct TileConfig {
  uint8_t palette = 1, startRow = 0, reserved[14] = {};
  uint16_t bytesPerRow[16] = {};
  uint8_t rows[16] = {};
} __attribute__((packed));

alignas(64) int8_t tileInputs[32 * 1024];

template <bool loads>
__attribute__((target("amx-int8,amx-tile"))) int tdpbusdTiles(int64_t iterations) {
  TileConfig config;
  for (int t = 0; t < 8; ++t) {
    config.bytesPerRow[t] = 64;
    config.rows[t] = 16;
  }
  _tile_loadconfig(&config);
  for (size_t i = 0; i < sizeof tileInputs; ++i)
    tileInputs[i] = static_cast<int8_t>(i * 7);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, tileInputs, 64);
  _tile_loadd(5, tileInputs + 1024, 64);
  _tile_loadd(6, tileInputs + 2048, 64);
  _tile_loadd(7, tileInputs + 3072, 64);
  for (int64_t it = 0; it < iterations; ++it) {
    if (loads) {
      const int8_t *step = tileInputs + (it & 7) * 4096;
      _tile_loadd(4, step, 64);
      _tile_loadd(5, step + 1024, 64);
      _tile_loadd(6, step + 2048, 64);
      _tile_loadd(7, step + 3072, 64);
    }
    _tile_dpbusd(0, 4, 6);
    _tile_dpbusd(1, 4, 7);
    _tile_dpbusd(2, 5, 6);
    _tile_dpbusd(3, 5, 7);
  }
  alignas(64) int32_t out[16 * 16];
  _tile_stored(0, out, 64);
  _tile_release();
  return out[0];
}

#endif

} // namespace

std::vector<DotPeak> measureDotPeaks() {
  std::vector<DotPeak> peaks;
#if defined(__x86_64__)
  constexpr int64_t kVectorIterations = 10'000'000;
  if (tern_cpu_has_feature("avx2") == 1)
    peaks.push_back({"vpmaddubsw + vpaddw, 256-bit (AVX2: int16 sums)",
                     bestGmacs(kVectorIterations, kChains * 32.0, maddubsAddYmm)});
  if (tern_cpu_has_feature("avx512bw") == 1)
    peaks.push_back({"vpmaddubsw + vpaddw, 512-bit (AVX-512BW: int16 sums)",
                     bestGmacs(kVectorIterations, kChains * 64.0, maddubsAddZmm)});
  if (tern_cpu_has_feature("avxvnni") == 1)
    peaks.push_back({"vpdpbusd, 256-bit (AVX-VNNI)",
                     bestGmacs(kVectorIterations, kChains * 32.0, dpbusdYmm)});
  if (tern_cpu_has_feature("avx512vnni") == 1)
    peaks.push_back({"vpdpbusd, 512-bit (AVX-512 VNNI)",
                     bestGmacs(kVectorIterations, kChains * 64.0, dpbusdZmm)});
  if (tern_cpu_has_feature("amx-int8") == 1) {
    constexpr int64_t kTileIterations = 1'000'000;
    constexpr double kMacs = 4.0 * 16 * 16 * 64;
    peaks.push_back({"tdpbusd, 2 x 2 tiles (AMX)", bestGmacs(kTileIterations, kMacs, tdpbusdTiles<false>)});
    peaks.push_back({"tdpbusd, 2 x 2 tiles + 4 tile loads from L1 (AMX)",
                     bestGmacs(kTileIterations, kMacs, tdpbusdTiles<true>)});
  }
#endif
  return peaks;
}

} // namespace tern::measure
