//===- PackingTest.cpp - the mfree i2 layout round-trips ------------------===//
#include "compiler/packing/MfreeI2Layout.h"
#include "tests/unit/KernelTestUtil.h"

#include <gtest/gtest.h>

using namespace tern;
using tern::packing::MfreeI2Layout;

namespace {

/// Reads weight (row, col) back out of packed bytes by the layout's
/// documented formula, written independently of the packer's loop.
int8_t unpackOne(const MfreeI2Layout &l, const std::vector<uint8_t> &bytes, int64_t row,
                 int64_t col) {
  int64_t offset = (row / l.tileN) * l.blockBytes() + (col / 16) * l.chunkBytes() +
                   ((row % l.tileN) / l.lanes) * (4 * l.lanes) + (row % l.lanes) * 4 + col % 4;
  int shift = 2 * static_cast<int>((col % 16) / 4);
  return static_cast<int8_t>(((bytes[offset] >> shift) & 3) - 1);
}

struct Case {
  int64_t n, k, lanes, tileN;
};

class PackingTest : public ::testing::TestWithParam<Case> {};

TEST_P(PackingTest, RoundTripsAndPadsWithZeroBytes) {
  Case c = GetParam();
  MfreeI2Layout l{};
  l.n = c.n;
  l.k = c.k;
  l.lanes = c.lanes;
  l.tileN = c.tileN;
  std::vector<int8_t> w = tern::testing::randomTernary(c.n, c.k, 7);
  std::vector<uint8_t> packed(l.totalBytes(), 0xff);
  ASSERT_TRUE(packing::packMfreeI2(l, w.data(), packed.data()));
  size_t nonPadding = 0;
  for (int64_t r = 0; r < c.n; ++r)
    for (int64_t k = 0; k < c.k; ++k) {
      ASSERT_EQ(unpackOne(l, packed, r, k), w[r * c.k + k]) << r << "," << k;
      ++nonPadding;
    }
  // Bits outside the matrix are zero: every stored weight is 1..3 in its bit
  // pair, so counting set pairs bounds the padding.
  size_t setPairs = 0;
  for (uint8_t b : packed)
    for (int s = 0; s < 8; s += 2)
      setPairs += ((b >> s) & 3) != 0;
  EXPECT_LE(setPairs, nonPadding);
  EXPECT_EQ(l.totalBytes(), l.blocks() * l.tileN * l.chunks() * 4);
}

INSTANTIATE_TEST_SUITE_P(Shapes, PackingTest,
                         ::testing::Values(Case{33, 100, 16, 32}, Case{1, 4, 4, 4},
                                           Case{17, 16, 8, 24}, Case{64, 2564, 16, 64},
                                           Case{40, 20, 8, 16}));

TEST(PackingTest, RejectsNonTernaryValues) {
  MfreeI2Layout l{};
  l.n = 2;
  l.k = 4;
  l.lanes = 4;
  l.tileN = 4;
  std::vector<int8_t> w = {0, 1, -1, 0, 2, 0, 0, 0};
  std::vector<uint8_t> packed(l.totalBytes(), 0xab);
  EXPECT_FALSE(packing::packMfreeI2(l, w.data(), packed.data()));
  EXPECT_EQ(packed[0], 0xab) << "nothing is written for invalid input";
}

} // namespace
