//===- Checksum.cpp - the 64-bit checksum of artifact files ---------------===//
//
// Guards against truncated or corrupted files, not against an adversary: four
// independent multiply-rotate lanes over 32-byte blocks (several GB/s, so
// that checking a 1 GB weight file stays well under a second), folded with a
// strong 64-bit finalizer together with the length.
//
//===----------------------------------------------------------------------===//
#include "runtime/include/tern/runtime.h"

#include <cstring>

namespace {

constexpr uint64_t kOdd1 = 0x9E3779B97F4A7C15ull; // 2^64 / golden ratio
constexpr uint64_t kOdd2 = 0xD6E8FEB86659FD93ull;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline uint64_t finalize(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

inline uint64_t load64(const unsigned char *p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t step(uint64_t lane, uint64_t word) { return rotl((lane ^ word) * kOdd1, 29) * kOdd2; }

} // namespace

extern "C" uint64_t tern_checksum64(const void *data, size_t size) {
  const auto *p = static_cast<const unsigned char *>(data);
  uint64_t lanes[4] = {kOdd1, kOdd2, ~kOdd1, ~kOdd2};
  size_t i = 0;
  for (; i + 32 <= size; i += 32)
    for (int l = 0; l < 4; ++l)
      lanes[l] = step(lanes[l], load64(p + i + 8 * l));
  uint64_t tail = 0;
  size_t remaining = size - i;
  unsigned char buffer[32] = {};
  std::memcpy(buffer, p + i, remaining);
  for (size_t w = 0; w < (remaining + 7) / 8; ++w)
    tail = step(tail ^ w, load64(buffer + 8 * w));
  uint64_t h = static_cast<uint64_t>(size) * kOdd2;
  for (uint64_t lane : lanes)
    h = finalize(h ^ lane) + kOdd1;
  return finalize(h ^ tail);
}
