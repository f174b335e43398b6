//===- Reference.h - the oracle: plain scalar ternary kernels ---*- C++ -*-===//
//
// Straightforward scalar code that every compiled kernel is compared with.
// It shares no code with compiler/ or runtime/ on purpose.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TESTS_REFERENCE_REFERENCE_H
#define TERN_TESTS_REFERENCE_REFERENCE_H

#include <cstdint>

namespace tern::reference {

/// Per-row absmax quantization: scale[r] = 127 / max(max_c |x[r][c]|, 1e-5),
/// q[r][c] = clamp(round_half_even(x[r][c] * scale[r]), -128, 127).
void quantizeRows(const float *x, int64_t rows, int64_t cols, int8_t *q, float *scale);

/// y[m][n] = (sum_k a[m][k] * w[n][k]) / (aScale[m] * wScale), with w in
/// {-1, 0, 1} as int8, row-major, exact int32 sums.
void ternaryMatmul(const int8_t *a, const float *aScale, const int8_t *w, float wScale, float *y,
                   int64_t m, int64_t n, int64_t k);

} // namespace tern::reference

#endif // TERN_TESTS_REFERENCE_REFERENCE_H
