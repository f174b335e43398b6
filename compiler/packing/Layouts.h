//===- Layouts.h - byte layouts of packed ternary weights -------*- C++ -*-===//
//
// Each kernel reads its weights in one layout; the lowerings emit loads at
// these offsets and the packers (ternc for models, tests and benchmarks for
// single kernels) write them, so both sides share one definition. Plain C++:
// no MLIR.
//
// mfree_i2 / mfree_base3 (strategy mfree). Rows are grouped in blocks of
// tileN, K in chunks of 4 * planes (16 for i2, 20 for base3). A chunk of a
// block is tileN / lanes vectors of 4 * lanes bytes; byte j of vector v holds
// the weights of row  block * tileN + v * lanes + j / 4  at columns
// chunk * 4 * planes + 4 * s + j % 4, plane s < planes. So one int8
// dot-product step (4 bytes per 32-bit lane) with the activation bytes
// [4s, 4s + 4) broadcast to every lane computes `lanes` rows at once.
//   i2: plane s in bits 2s, 2s + 1, as w + 1.
//   base3: the 5 digits d_s = w + 1 as v = sum d_s 3^(4 - s), stored as
//     ceil(256 v / 243): then d_s = (x_s >= 86) + (x_s >= 171) with
//     x_0 = byte, x_{s+1} = 3 x_s mod 256 (exact for all 243 values).
// Blocks follow one another, chunk after chunk, unless K is stored in slabs
// (MfreeLayout::slabs): then each slab holds its range of chunks of every
// block, and the slabs follow one another.
// Padding (rows >= N, columns >= K) holds weight 0 where it could be read.
//
// lut2 / lut3 (strategy lut). Weights in groups of g = 2 or 3 along K, each
// group of a row one code: lut2 (d0 d1) in base 3, 0..8; lut3 the base-3
// value c of (d0 d1 d2), folded by the symmetry w -> -w to a magnitude
// c <= 13 (else 26 - c) and a sign bit. Rows in blocks of tileN, in vectors
// of 4 * lanes rows (one byte each). Per block, per pair of groups
// (2p, 2p + 1), per vector: one byte per row, group 2p in the low nibble and
// 2p + 1 in the high one. lut3 keeps pairs in units of 4 (8 groups): the
// unit's code bytes, then tileN sign bytes, one per row at the row's code
// byte position, bit 7 - j for the unit's group j; after a block's units,
// each row's number of negated groups (int32, row after row), the constant
// that turns the kernels' ~sum = -sum - 1 into -sum. Groups past K (up to a
// whole pair, lut2, or unit, lut3) hold zero weights.
// Within a vector the rows are ordered for the widening step: interleaving
// the bytes of 128-bit lane L of two lookups gives 16-bit sums of rows
// [8L, 8L + 8) from the lane's first half and [V/2 + 8L, V/2 + 8L + 8) from
// its second (V = 4 * lanes), so byte 16L + 8h + i holds row h V/2 + 8L + i.
//
// idx3 (strategy rowlut). Weights in groups of 3 along K, each group of a
// row one byte: 8 c, where c = d0 + 3 d1 + 9 d2 with d_j = w + 1 of column
// 3 group + j. K is stored in slabs of slabGroups() groups; a slab holds its
// groups of every block of tileN rows, block after block, and within a
// block group after group, tileN bytes (one per row) each. So a kernel that
// sums one slab at a time over all rows reads one sequential stream.
// Padding (rows >= N, columns >= K) holds weight 0 (c = 13).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PACKING_LAYOUTS_H
#define TERN_COMPILER_PACKING_LAYOUTS_H

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tern::packing {

enum class Format { MfreeI2, MfreeBase3, Lut2, Lut3, Idx3 };

/// "mfree_i2", "mfree_base3", "lut2", "lut3", "idx3": the manifest's "layout".
const char *formatName(Format format);
std::optional<Format> parseFormat(std::string_view name);

struct LayoutParams {
  Format format = Format::MfreeI2;
  int64_t n = 0, k = 0;
  int64_t lanes = 0, tileN = 0;
  int64_t slabs = 1; // mfree, idx3: K slabs (see MfreeLayout, Idx3Layout)
  bool operator==(const LayoutParams &o) const {
    return format == o.format && n == o.n && k == o.k && lanes == o.lanes && tileN == o.tileN &&
           slabs == o.slabs;
  }
  bool operator!=(const LayoutParams &o) const { return !(*this == o); }
};

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// The mfree layouts' geometry.
struct MfreeLayout {
  static constexpr int64_t kBytesPerLane = 4;
  LayoutParams p;
  int64_t planes() const { return p.format == Format::MfreeBase3 ? 5 : 4; }
  int64_t chunk() const { return kBytesPerLane * planes(); } // K values per chunk
  int64_t blocks() const { return ceilDiv(p.n, p.tileN); }
  int64_t chunks() const { return ceilDiv(p.k, chunk()); }
  int64_t vectorsPerChunk() const { return p.tileN / p.lanes; }
  int64_t vectorBytes() const { return kBytesPerLane * p.lanes; }
  int64_t chunkBytes() const { return vectorsPerChunk() * vectorBytes(); }
  int64_t blockBytes() const { return chunks() * chunkBytes(); }
  int64_t totalBytes() const { return blocks() * blockBytes(); }

  /// K slabs: slab s holds chunks [s * slabChunks(), (s + 1) * slabChunks())
  /// of every block, block after block; the last slab also holds the chunks
  /// after those (and the partial one). A kernel reading `slabs` slabs side
  /// by side then reads each as one sequential stream across its blocks.
  int64_t slabs() const { return std::max<int64_t>(1, std::min(p.slabs, p.k / chunk())); }
  int64_t slabChunks() const { return slabs() == 1 ? chunks() : p.k / chunk() / slabs(); }
  int64_t slabOf(int64_t chunk) const { return std::min(chunk / slabChunks(), slabs() - 1); }
  int64_t chunksInSlab(int64_t slab) const {
    return slab + 1 < slabs() ? slabChunks() : chunks() - slab * slabChunks();
  }
  int64_t slabStart(int64_t slab) const { return slab * slabChunks() * chunkBytes() * blocks(); }
  /// Offset of a block's chunk that lies in `slab`.
  int64_t offset(int64_t block, int64_t chunk, int64_t slab) const {
    return slabStart(slab) + (block * chunksInSlab(slab) + chunk - slab * slabChunks()) * chunkBytes();
  }
};

/// The lut layouts' geometry.
struct LutLayout {
  /// lut3: pairs of groups whose signs share a byte per row.
  static constexpr int64_t kSignPairs = 4;
  LayoutParams p;
  int64_t group() const { return p.format == Format::Lut3 ? 3 : 2; }
  bool signs() const { return p.format == Format::Lut3; }
  int64_t rowsPerVector() const { return 4 * p.lanes; }
  int64_t vectors() const { return p.tileN / rowsPerVector(); }
  int64_t blocks() const { return ceilDiv(p.n, p.tileN); }
  int64_t groups() const { return ceilDiv(p.k, group()); }
  /// Pairs of groups per unit: the unit's code bytes, then (lut3) its signs.
  int64_t unitPairs() const { return signs() ? kSignPairs : 1; }
  int64_t pairs() const { return ceilDiv(groups(), 2 * unitPairs()) * unitPairs(); }
  int64_t unitBytes() const { return (unitPairs() + (signs() ? 1 : 0)) * p.tileN; }
  /// Average bytes per pair, signs included: what prefetch distances count.
  int64_t bytesPerPair() const { return unitBytes() / unitPairs(); }
  /// Offset, from the block's start, of the rows' counts of negated groups.
  int64_t countsOffset() const { return pairs() / unitPairs() * unitBytes(); }
  int64_t blockBytes() const { return countsOffset() + (signs() ? 4 * p.tileN : 0); }
  int64_t totalBytes() const { return blocks() * blockBytes(); }
  /// Offset, from the block's start, of the code bytes of `pair`.
  int64_t codesOffset(int64_t pair) const {
    return pair / unitPairs() * unitBytes() + pair % unitPairs() * p.tileN;
  }
  /// Offset, from the block's start, of the sign bytes of the unit of `pair`.
  int64_t signsOffset(int64_t pair) const {
    return pair / unitPairs() * unitBytes() + unitPairs() * p.tileN;
  }
  /// The bit of a sign byte that holds the sign of `group`.
  int64_t signBit(int64_t group) const { return 7 - group % (2 * unitPairs()); }
  /// The byte of a vector that holds row `row` (< rowsPerVector()) of it.
  int64_t positionOfRow(int64_t row) const {
    int64_t half = rowsPerVector() / 2, h = row / half, inHalf = row % half;
    return 16 * (inHalf / 8) + 8 * h + inHalf % 8;
  }
};

/// The idx3 layout's geometry.
struct Idx3Layout {
  static constexpr int64_t kGroup = 3;
  /// Digit weights of a code: c = d0 + 3 d1 + 9 d2; the byte is 8 c.
  static constexpr int64_t kCodeScale = 8;
  LayoutParams p;
  int64_t groups() const { return ceilDiv(p.k, kGroup); }
  int64_t blocks() const { return ceilDiv(p.n, p.tileN); }
  int64_t slabs() const { return std::max<int64_t>(1, std::min(p.slabs, groups())); }
  int64_t slabGroups() const { return ceilDiv(groups(), slabs()); }
  /// Slabs actually holding groups (the last ones may hold none when
  /// slabGroups() rounds up).
  int64_t usedSlabs() const { return ceilDiv(groups(), slabGroups()); }
  int64_t groupsInSlab(int64_t slab) const {
    return std::min(slabGroups(), groups() - slab * slabGroups());
  }
  int64_t slabStart(int64_t slab) const { return slab * slabGroups() * blocks() * p.tileN; }
  /// Offset of the byte of (block, group) for the block's first row.
  int64_t offset(int64_t block, int64_t group) const {
    int64_t slab = group / slabGroups();
    return slabStart(slab) + (block * groupsInSlab(slab) + group % slabGroups()) * p.tileN;
  }
  int64_t totalBytes() const { return groups() * blocks() * p.tileN; }
};

int64_t packedBytes(const LayoutParams &params);
/// The K slabs the weights are stored in: the manifest's "slabs".
int64_t storedSlabs(const LayoutParams &params);

/// Packs `weights` (N x K row-major, values in {-1, 0, 1}) into `out`
/// (packedBytes(params) bytes). Returns false, writing nothing, on a value
/// outside {-1, 0, 1} or geometry the layout cannot hold.
bool pack(const LayoutParams &params, const int8_t *weights, uint8_t *out);

} // namespace tern::packing

#endif // TERN_COMPILER_PACKING_LAYOUTS_H
