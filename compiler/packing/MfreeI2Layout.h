//===- MfreeI2Layout.h - byte layout of i2 weights for mfree ----*- C++ -*-===//
//
// Shared by the mfree lowering (which emits loads at these offsets) and by the
// packers (ternc for models, tests and benchmarks for single kernels), so both
// sides read one definition. Plain C++: no MLIR.
//
// Weights are stored as w + 1 in {0, 1, 2}, two bits each. Rows are grouped
// in blocks of tileN; K in chunks of 16. A chunk of a block is tileN / lanes
// vectors of 4 * lanes bytes; byte j of vector v holds, in bit pair s, the
// weight of row  block * tileN + v * lanes + j / 4  at column
// chunk * 16 + 4 * s + j % 4. So one int8 dot-product step (4 bytes per 32-bit
// lane) with the activation bytes [4s, 4s + 4) broadcast to every lane
// computes `lanes` rows at once, and the bit pairs are split off by a shift
// and a mask. Padding (rows >= N, columns >= K) holds 0, which the kernel
// never lets reach a result.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PACKING_MFREEI2LAYOUT_H
#define TERN_COMPILER_PACKING_MFREEI2LAYOUT_H

#include <cstddef>
#include <cstdint>

namespace tern::packing {

struct MfreeI2Layout {
  static constexpr int64_t kChunk = 16;       // K values per chunk
  static constexpr int64_t kPlanes = 4;       // bit pairs per byte
  static constexpr int64_t kBytesPerLane = 4; // int8 values per 32-bit lane

  int64_t n = 0, k = 0;
  int64_t lanes = 0, tileN = 0;

  static int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
  int64_t blocks() const { return ceilDiv(n, tileN); }
  int64_t chunks() const { return ceilDiv(k, kChunk); }
  int64_t vectorsPerChunk() const { return tileN / lanes; }
  int64_t vectorBytes() const { return kBytesPerLane * lanes; }
  int64_t chunkBytes() const { return vectorsPerChunk() * vectorBytes(); }
  int64_t blockBytes() const { return chunks() * chunkBytes(); }
  int64_t totalBytes() const { return blocks() * blockBytes(); }
};

/// Packs `weights` (N x K row-major, values in {-1, 0, 1}) into `out`
/// (layout.totalBytes() bytes). Returns false, without writing, on a value
/// outside {-1, 0, 1}.
bool packMfreeI2(const MfreeI2Layout &layout, const int8_t *weights, uint8_t *out);

} // namespace tern::packing

#endif // TERN_COMPILER_PACKING_MFREEI2LAYOUT_H
