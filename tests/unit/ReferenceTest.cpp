//===- ReferenceTest.cpp - the oracle against hand-computed values --------===//
#include "tests/reference/Reference.h"

#include <gtest/gtest.h>

#include <vector>

using namespace tern::reference;

namespace {

TEST(ReferenceTest, QuantizeIsAbsmaxWithRoundHalfEven) {
  // absmax 127 gives scale 1, so x * scale is x: halves round to even.
  std::vector<float> x = {127.0f, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, -127.0f};
  std::vector<int8_t> q(8);
  float scale;
  quantizeRows(x.data(), 1, 8, q.data(), &scale);
  EXPECT_EQ(scale, 1.0f);
  EXPECT_EQ(q, (std::vector<int8_t>{127, 2, 4, -2, 0, 0, 2, -127}));
}

TEST(ReferenceTest, QuantizeScalesEachRowByItsOwnMaximum) {
  std::vector<float> x = {1.0f, -2.0f, 0.5f, 0.0f, /* row 2 */ 0.1f, 0.2f, -0.4f, 0.3f};
  std::vector<int8_t> q(8);
  std::vector<float> scale(2);
  quantizeRows(x.data(), 2, 4, q.data(), scale.data());
  EXPECT_FLOAT_EQ(scale[0], 63.5f);
  EXPECT_EQ((std::vector<int8_t>(q.begin(), q.begin() + 4)),
            (std::vector<int8_t>{64, -127, 32, 0})); // 63.5 -> 64, 31.75 -> 32
  EXPECT_FLOAT_EQ(scale[1], 127.0f / 0.4f);
  EXPECT_EQ((std::vector<int8_t>(q.begin() + 4, q.end())),
            (std::vector<int8_t>{32, 64, -127, 95}));
}

TEST(ReferenceTest, AllZeroRowUsesTheFloor) {
  std::vector<float> x(4, 0.0f);
  std::vector<int8_t> q(4, 1);
  float scale;
  quantizeRows(x.data(), 1, 4, q.data(), &scale);
  EXPECT_FLOAT_EQ(scale, 127.0f / 1e-5f);
  EXPECT_EQ(q, (std::vector<int8_t>{0, 0, 0, 0}));
}

TEST(ReferenceTest, TernaryMatmul) {
  // a: 2 x 3, w: 2 x 3 ternary.
  std::vector<int8_t> a = {10, -20, 30, -128, 127, 1};
  std::vector<float> aScale = {2.0f, 0.5f};
  std::vector<int8_t> w = {1, 0, -1, -1, 1, 1};
  std::vector<float> y(4);
  ternaryMatmul(a.data(), aScale.data(), w.data(), 4.0f, y.data(), 2, 2, 3);
  EXPECT_EQ(y[0], (10.0f - 30.0f) / 8.0f);
  EXPECT_EQ(y[1], (-10.0f - 20.0f + 30.0f) / 8.0f);
  EXPECT_EQ(y[2], (-128.0f - 1.0f) / 2.0f);
  EXPECT_EQ(y[3], (128.0f + 127.0f + 1.0f) / 2.0f);
}

} // namespace
