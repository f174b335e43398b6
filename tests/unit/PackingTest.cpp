//===- PackingTest.cpp - every weight layout round-trips ------------------===//
//
// The decoders here follow the layout descriptions in Layouts.h, written
// independently of the packers' loops.
//
//===----------------------------------------------------------------------===//
#include "compiler/packing/Layouts.h"
#include "tests/unit/KernelTestUtil.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace tern::packing;

namespace {

/// base3's digits by the multiply-by-3 trick the kernel uses.
std::vector<int> base3Digits(uint8_t byte) {
  std::vector<int> digits;
  unsigned x = byte;
  for (int s = 0; s < 5; ++s) {
    digits.push_back((3 * x) >> 8);
    x = (3 * x) & 0xff;
  }
  return digits;
}

int8_t decodeMfree(const MfreeLayout &l, const std::vector<uint8_t> &bytes, int64_t row, int64_t col) {
  const LayoutParams &p = l.p;
  // K slabs: S of them (at most one per whole chunk), `per` whole chunks in
  // each but the last, which also holds the rest.
  int64_t chunk = col / l.chunk(), whole = p.k / l.chunk(), chunks = (p.k + l.chunk() - 1) / l.chunk();
  int64_t S = std::max<int64_t>(1, std::min(p.slabs, whole));
  int64_t per = S == 1 ? chunks : whole / S;
  int64_t slab = std::min(chunk / per, S - 1);
  int64_t inSlab = slab == S - 1 ? chunks - slab * per : per;
  int64_t blocks = (p.n + p.tileN - 1) / p.tileN;
  int64_t offset = slab * per * blocks * l.chunkBytes() +
                   ((row / p.tileN) * inSlab + chunk - slab * per) * l.chunkBytes() +
                   ((row % p.tileN) / p.lanes) * (4 * p.lanes) + (row % p.lanes) * 4 + col % 4;
  int64_t plane = (col % l.chunk()) / 4;
  if (p.format == Format::MfreeBase3)
    return static_cast<int8_t>(base3Digits(bytes[offset])[plane] - 1);
  return static_cast<int8_t>(((bytes[offset] >> (2 * plane)) & 3) - 1);
}

int8_t decodeLut(const LutLayout &l, const std::vector<uint8_t> &bytes, int64_t row, int64_t col) {
  const LayoutParams &p = l.p;
  int64_t g = l.group(), group = col / g, pair = group / 2, half = group % 2;
  int64_t r = l.rowsPerVector(), vector = (row % p.tileN) / r, inVector = row % r;
  // Byte 16L + 8h + i of a vector holds row h r/2 + 8L + i.
  int64_t h = inVector / (r / 2), lane = (inVector % (r / 2)) / 8, i = inVector % 8;
  const uint8_t *blockStart = bytes.data() + (row / p.tileN) * l.blockBytes();
  int64_t position = vector * r + 16 * lane + 8 * h + i;
  int code = (blockStart[l.codesOffset(pair) + position] >> (4 * half)) & 15;
  bool negative = l.signs() && ((blockStart[l.signsOffset(pair) + position] >> (7 - group % 8)) & 1);
  if (negative)
    code = 26 - code;
  int digit = code;
  for (int64_t i = g - 1; i > col % g; --i)
    digit /= 3;
  return static_cast<int8_t>(digit % 3 - 1);
}

/// idx3: slabs of ceil(groups / S) groups; within a slab, block after block,
/// group after group, a byte per row: 8 x (d0 + 3 d1 + 9 d2).
int8_t decodeIdx3(const LayoutParams &p, const std::vector<uint8_t> &bytes, int64_t row, int64_t col) {
  int64_t groups = (p.k + 2) / 3, slabs = std::min(p.slabs, groups);
  int64_t per = (groups + slabs - 1) / slabs, blocks = (p.n + p.tileN - 1) / p.tileN;
  int64_t group = col / 3, slab = group / per, inSlab = std::min(per, groups - slab * per);
  int64_t offset = slab * per * blocks * p.tileN + ((row / p.tileN) * inSlab + group % per) * p.tileN +
                   row % p.tileN;
  int code = bytes[offset];
  EXPECT_EQ(code % 8, 0) << "idx3 bytes are 8 x a code";
  code /= 8;
  for (int64_t j = 0; j < col % 3; ++j)
    code /= 3;
  return static_cast<int8_t>(code % 3 - 1);
}

struct Case {
  Format format;
  int64_t n, k, lanes, tileN;
  int64_t slabs = 1;
};

class PackingTest : public ::testing::TestWithParam<Case> {};

TEST_P(PackingTest, EveryWeightDecodesBack) {
  Case c = GetParam();
  LayoutParams p{c.format, c.n, c.k, c.lanes, c.tileN, c.slabs};
  std::vector<int8_t> w = tern::testing::randomTernary(c.n, c.k, 7);
  std::vector<uint8_t> packed(packedBytes(p), 0xee);
  ASSERT_TRUE(pack(p, w.data(), packed.data()));
  bool lut = c.format == Format::Lut2 || c.format == Format::Lut3;
  bool idx3 = c.format == Format::Idx3;
  for (int64_t row = 0; row < c.n; ++row)
    for (int64_t col = 0; col < c.k; ++col)
      ASSERT_EQ(idx3  ? decodeIdx3(p, packed, row, col)
                : lut ? decodeLut(LutLayout{p}, packed, row, col)
                      : decodeMfree(MfreeLayout{p}, packed, row, col),
                w[row * c.k + col])
          << formatName(c.format) << " row " << row << " col " << col;
  if (idx3) {
    // Kernels read whole groups and whole register tiles: the padding must
    // be zero weights, and every byte is written.
    Idx3Layout l{p};
    for (int64_t row = 0; row < l.blocks() * c.tileN; ++row)
      for (int64_t col = row < c.n ? c.k : 0; col < l.groups() * 3; ++col)
        ASSERT_EQ(decodeIdx3(p, packed, row, col), 0) << "padding at row " << row << " col " << col;
    return;
  }
  if (!lut)
    return;
  // Kernels read whole pairs of groups and whole blocks: the padding must be
  // zero weights.
  LutLayout l{p};
  for (int64_t row = 0; row < l.blocks() * c.tileN; ++row)
    for (int64_t col = row < c.n ? c.k : 0; col < 2 * l.pairs() * l.group(); ++col)
      ASSERT_EQ(decodeLut(l, packed, row, col), 0) << "padding at row " << row << " col " << col;
  if (!l.signs())
    return;
  // Each row's count of negated groups: those whose base-3 code is above 13.
  for (int64_t row = 0; row < l.blocks() * c.tileN; ++row) {
    int32_t negated = 0;
    for (int64_t group = 0; row < c.n && group < l.groups(); ++group) {
      int code = 0;
      for (int64_t col = 3 * group; col < 3 * group + 3; ++col)
        code = 3 * code + (col < c.k ? w[row * c.k + col] + 1 : 1);
      negated += code > 13;
    }
    int32_t stored;
    std::memcpy(&stored, &packed[(row / c.tileN) * l.blockBytes() + l.countsOffset() + 4 * (row % c.tileN)],
                sizeof stored);
    EXPECT_EQ(stored, negated) << "negated groups of row " << row;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PackingTest,
    ::testing::Values(Case{Format::MfreeI2, 33, 100, 16, 32}, Case{Format::MfreeI2, 1, 4, 4, 4},
                      Case{Format::MfreeI2, 64, 2564, 16, 64}, Case{Format::MfreeBase3, 33, 100, 16, 32},
                      Case{Format::MfreeBase3, 40, 20, 8, 16}, Case{Format::MfreeBase3, 17, 44, 4, 12},
                      Case{Format::Lut2, 70, 100, 16, 64}, Case{Format::Lut2, 9, 2, 4, 16},
                      Case{Format::Lut3, 70, 101, 16, 64}, Case{Format::Lut3, 33, 7, 8, 32},
                      Case{Format::Lut3, 130, 2560, 8, 64},
                      // K in slabs: 160 whole chunks and a partial one in 4;
                      // 5 base3 chunks in 3 (1, 1 and 3); more slabs than
                      // chunks; 2 slabs of one block.
                      Case{Format::MfreeI2, 200, 2564, 16, 64, 4},
                      Case{Format::MfreeBase3, 33, 100, 16, 32, 3}, Case{Format::MfreeI2, 1, 4, 4, 4, 8},
                      Case{Format::MfreeBase3, 17, 44, 4, 12, 2},
                      // idx3: 34 groups in slabs of 12 (12, 12, 10); a
                      // partial last group; one slab; register tiles of 5
                      // and 16 rows.
                      Case{Format::Idx3, 33, 100, 8, 5, 3}, Case{Format::Idx3, 7, 101, 16, 16, 1},
                      Case{Format::Idx3, 64, 2564, 8, 6, 54}));

TEST(PackingTest, Base3DigitsAreExactForEveryByteValue) {
  for (int v = 0; v < 243; ++v) {
    uint8_t byte = static_cast<uint8_t>((256 * v + 242) / 243);
    std::vector<int> digits = base3Digits(byte);
    int back = 0;
    for (int d : digits)
      back = 3 * back + d;
    EXPECT_EQ(back, v) << "byte " << int(byte);
  }
}

TEST(PackingTest, SubTwoBitLayoutsAreSmaller) {
  // 6912 x 2560: i2 2 bits, lut3 5/3 bits, base3 8/5 bits per weight.
  LayoutParams i2{Format::MfreeI2, 6912, 2560, 16, 32};
  LayoutParams base3{Format::MfreeBase3, 6912, 2560, 16, 32};
  LayoutParams lut3{Format::Lut3, 6912, 2560, 16, 64};
  EXPECT_EQ(packedBytes(i2), 6912 * 2560 / 4);
  EXPECT_EQ(packedBytes(base3), 6912 * 2560 / 5);
  // lut3: 854 triples in 107 units of 4 pairs (the last one padded), each
  // 4 x 64 index bytes + 64 sign bytes, then 64 int32 counts; 108 blocks.
  EXPECT_EQ(packedBytes(lut3), 108 * (107 * 5 * 64 + 4 * 64));
  // 5/6 of i2, plus the padding to whole units and the counts: 0.842.
  EXPECT_LT(packedBytes(lut3), packedBytes(i2) * 0.845);
}

TEST(PackingTest, RejectsNonTernaryValuesAndImpossibleGeometry) {
  std::vector<int8_t> w = {0, 1, -1, 0, 2, 0, 0, 0};
  std::vector<uint8_t> packed(1024, 0xab);
  EXPECT_FALSE(pack({Format::MfreeI2, 2, 4, 4, 4}, w.data(), packed.data()));
  EXPECT_EQ(packed[0], 0xab) << "nothing is written for invalid input";
  w[4] = 1;
  EXPECT_FALSE(pack({Format::Lut2, 2, 4, 4, 8}, w.data(), packed.data())) << "tile_n < 4 * lanes";
  EXPECT_TRUE(pack({Format::Lut2, 2, 4, 4, 16}, w.data(), packed.data()));
  EXPECT_FALSE(pack({Format::Lut2, 2, 4, 4, 16, 2}, w.data(), packed.data())) << "lut in K slabs";
  EXPECT_FALSE(pack({Format::MfreeI2, 2, 4, 4, 4, 0}, w.data(), packed.data())) << "0 slabs";
  EXPECT_FALSE(pack({Format::Idx3, 2, 4, 8, 0, 1}, w.data(), packed.data())) << "idx3 tile_n 0";
}

} // namespace
