//===- Reference.cpp ------------------------------------------------------===//
#include "tests/reference/Reference.h"

#include <algorithm>
#include <cfenv>
#include <cmath>

namespace tern::reference {

void quantizeRows(const float *x, int64_t rows, int64_t cols, int8_t *q, float *scale) {
  // std::nearbyint rounds half to even in the default rounding mode.
  std::fesetround(FE_TONEAREST);
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = x + r * cols;
    float absmax = 0.0f;
    for (int64_t c = 0; c < cols; ++c)
      absmax = std::max(absmax, std::fabs(row[c]));
    float s = 127.0f / std::max(absmax, 1e-5f);
    scale[r] = s;
    for (int64_t c = 0; c < cols; ++c) {
      float v = std::nearbyint(row[c] * s);
      v = std::min(127.0f, std::max(-128.0f, v));
      q[r * cols + c] = static_cast<int8_t>(v);
    }
  }
}

void ternaryMatmul(const int8_t *a, const float *aScale, const int8_t *w, float wScale, float *y,
                   int64_t m, int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int32_t sum = 0;
      for (int64_t c = 0; c < k; ++c)
        sum += static_cast<int32_t>(a[i * k + c]) * static_cast<int32_t>(w[j * k + c]);
      y[i * n + j] = static_cast<float>(sum) / (aScale[i] * wScale);
    }
  }
}

} // namespace tern::reference
