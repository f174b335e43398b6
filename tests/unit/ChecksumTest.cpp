//===- ChecksumTest.cpp - the artifact checksum detects corruption --------===//
#include "runtime/include/tern/runtime.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace {

TEST(ChecksumTest, DeterministicAndLengthSensitive) {
  std::vector<unsigned char> data(1000);
  for (size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<unsigned char>(i * 7 + 3);
  EXPECT_EQ(tern_checksum64(data.data(), data.size()), tern_checksum64(data.data(), data.size()));
  std::set<uint64_t> seen;
  for (size_t n = 0; n <= 100; ++n)
    seen.insert(tern_checksum64(data.data(), n));
  EXPECT_EQ(seen.size(), 101u) << "prefixes of different lengths must differ";
  // Trailing zero bytes still change the checksum.
  std::vector<unsigned char> zeros(64, 0);
  EXPECT_NE(tern_checksum64(zeros.data(), 63), tern_checksum64(zeros.data(), 64));
}

TEST(ChecksumTest, EveryBitFlipIsDetected) {
  std::vector<unsigned char> data(257, 0x5a);
  uint64_t original = tern_checksum64(data.data(), data.size());
  std::set<uint64_t> seen = {original};
  for (size_t byte = 0; byte < data.size(); ++byte)
    for (int bit = 0; bit < 8; ++bit) {
      data[byte] ^= static_cast<unsigned char>(1u << bit);
      seen.insert(tern_checksum64(data.data(), data.size()));
      data[byte] ^= static_cast<unsigned char>(1u << bit);
    }
  EXPECT_EQ(seen.size(), 1u + 257u * 8u);
}

TEST(ChecksumTest, SwappedBlocksDiffer) {
  std::vector<unsigned char> a(64), b(64);
  for (int i = 0; i < 32; ++i) {
    a[i] = b[i + 32] = static_cast<unsigned char>(i);
    a[i + 32] = b[i] = static_cast<unsigned char>(100 + i);
  }
  EXPECT_NE(tern_checksum64(a.data(), 64), tern_checksum64(b.data(), 64));
}

} // namespace
