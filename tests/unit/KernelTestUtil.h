//===- KernelTestUtil.h - random operands and checks for kernel tests -*- C++ -*-===//
#ifndef TERN_TESTS_UNIT_KERNELTESTUTIL_H
#define TERN_TESTS_UNIT_KERNELTESTUTIL_H

#include "tests/reference/Reference.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace tern::testing {

/// Ternary weights, about a third each of -1, 0 and +1.
inline std::vector<int8_t> randomTernary(int64_t n, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> dist(-1, 1);
  std::vector<int8_t> w(n * k);
  for (int8_t &v : w)
    v = static_cast<int8_t>(dist(rng));
  return w;
}

/// Activations quantized by the reference; the first row is all -128 so the
/// extreme products are always exercised.
struct Activations {
  std::vector<int8_t> q;
  std::vector<float> scale;
};
inline Activations randomActivations(int64_t m, int64_t k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(m * k);
  for (float &v : x)
    v = dist(rng);
  for (int64_t c = 0; c < k; ++c)
    x[c] = -1.0f;
  Activations a;
  a.q.resize(m * k);
  a.scale.resize(m);
  reference::quantizeRows(x.data(), m, k, a.q.data(), a.scale.data());
  return a;
}

/// "" when equal bit for bit, else where and how they first differ.
inline std::string firstMismatch(const std::vector<float> &expected, const std::vector<float> &actual,
                                 int64_t cols) {
  for (size_t i = 0; i < expected.size(); ++i)
    if (std::memcmp(&expected[i], &actual[i], sizeof(float)) != 0)
      return "y[" + std::to_string(i / cols) + "][" + std::to_string(i % cols) + "] = " +
             std::to_string(actual[i]) + ", reference " + std::to_string(expected[i]);
  return "";
}

} // namespace tern::testing

#endif // TERN_TESTS_UNIT_KERNELTESTUTIL_H
