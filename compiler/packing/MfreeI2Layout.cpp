//===- MfreeI2Layout.cpp --------------------------------------------------===//
#include "compiler/packing/MfreeI2Layout.h"

#include <cstring>

namespace tern::packing {

bool packMfreeI2(const MfreeI2Layout &layout, const int8_t *weights, uint8_t *out) {
  for (int64_t i = 0; i < layout.n * layout.k; ++i)
    if (weights[i] < -1 || weights[i] > 1)
      return false;
  std::memset(out, 0, static_cast<size_t>(layout.totalBytes()));
  for (int64_t row = 0; row < layout.n; ++row) {
    int64_t block = row / layout.tileN;
    int64_t vector = (row % layout.tileN) / layout.lanes;
    int64_t lane = row % layout.lanes;
    for (int64_t col = 0; col < layout.k; ++col) {
      int64_t chunk = col / MfreeI2Layout::kChunk;
      int64_t plane = (col % MfreeI2Layout::kChunk) / MfreeI2Layout::kBytesPerLane;
      int64_t byteInLane = col % MfreeI2Layout::kBytesPerLane;
      int64_t offset = block * layout.blockBytes() + chunk * layout.chunkBytes() +
                       vector * layout.vectorBytes() + lane * MfreeI2Layout::kBytesPerLane +
                       byteInLane;
      uint8_t stored = static_cast<uint8_t>(weights[row * layout.k + col] + 1);
      out[offset] |= static_cast<uint8_t>(stored << (2 * plane));
    }
  }
  return true;
}

} // namespace tern::packing
