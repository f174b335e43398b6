//===- Layouts.cpp --------------------------------------------------------===//
#include "compiler/packing/Layouts.h"

#include <cstring>
#include <vector>

namespace tern::packing {

const char *formatName(Format format) {
  switch (format) {
  case Format::MfreeI2: return "mfree_i2";
  case Format::MfreeBase3: return "mfree_base3";
  case Format::Lut2: return "lut2";
  case Format::Lut3: return "lut3";
  case Format::Idx3: return "idx3";
  }
  return "?";
}

std::optional<Format> parseFormat(std::string_view name) {
  for (Format f : {Format::MfreeI2, Format::MfreeBase3, Format::Lut2, Format::Lut3, Format::Idx3})
    if (name == formatName(f))
      return f;
  return std::nullopt;
}

static bool isLut(Format f) { return f == Format::Lut2 || f == Format::Lut3; }

int64_t packedBytes(const LayoutParams &params) {
  if (params.format == Format::Idx3)
    return Idx3Layout{params}.totalBytes();
  return isLut(params.format) ? LutLayout{params}.totalBytes() : MfreeLayout{params}.totalBytes();
}

int64_t storedSlabs(const LayoutParams &params) {
  if (params.format == Format::Idx3)
    return Idx3Layout{params}.slabs();
  return isLut(params.format) ? 1 : MfreeLayout{params}.slabs();
}

static bool packMfree(const MfreeLayout &l, const int8_t *w, uint8_t *out) {
  const LayoutParams &p = l.p;
  bool base3 = p.format == Format::MfreeBase3;
  std::vector<uint8_t> digits(static_cast<size_t>(l.totalBytes()) * l.planes(), 1);
  // Gather every byte's digits (w + 1, weight 0 where padded), then encode.
  for (int64_t row = 0; row < p.n; ++row) {
    int64_t block = row / p.tileN, vector = (row % p.tileN) / p.lanes, lane = row % p.lanes;
    for (int64_t col = 0; col < p.k; ++col) {
      int64_t chunk = col / l.chunk(), plane = (col % l.chunk()) / MfreeLayout::kBytesPerLane;
      int64_t byte = l.offset(block, chunk, l.slabOf(chunk)) + vector * l.vectorBytes() +
                     lane * MfreeLayout::kBytesPerLane + col % MfreeLayout::kBytesPerLane;
      digits[byte * l.planes() + plane] = static_cast<uint8_t>(w[row * p.k + col] + 1);
    }
  }
  for (int64_t byte = 0; byte < l.totalBytes(); ++byte) {
    const uint8_t *d = &digits[byte * l.planes()];
    if (!base3) {
      out[byte] = static_cast<uint8_t>(d[0] | d[1] << 2 | d[2] << 4 | d[3] << 6);
      continue;
    }
    int v = 0;
    for (int s = 0; s < 5; ++s)
      v = 3 * v + d[s];
    out[byte] = static_cast<uint8_t>((256 * v + 242) / 243);
  }
  return true;
}

static bool packLut(const LutLayout &l, const int8_t *w, uint8_t *out) {
  const LayoutParams &p = l.p;
  std::memset(out, 0, static_cast<size_t>(l.totalBytes()));
  int64_t g = l.group(), r = l.rowsPerVector();
  // Rows past N read zero weights too; their results are never stored.
  int64_t paddedRows = l.blocks() * p.tileN;
  for (int64_t row = 0; row < paddedRows; ++row) {
    int64_t block = row / p.tileN, vector = (row % p.tileN) / r, inVector = row % r;
    int32_t negated = 0;
    for (int64_t group = 0; group < 2 * l.pairs(); ++group) {
      int code = 0;
      for (int64_t i = 0; i < g; ++i) {
        int64_t col = group * g + i;
        code = 3 * code + (row < p.n && col < p.k ? w[row * p.k + col] + 1 : 1);
      }
      int64_t pair = group / 2, half = group % 2;
      uint8_t *blockStart = out + block * l.blockBytes();
      int64_t position = vector * r + l.positionOfRow(inVector);
      if (l.signs() && code > 13) {
        code = 26 - code;
        blockStart[l.signsOffset(pair) + position] |= static_cast<uint8_t>(1u << l.signBit(group));
        ++negated;
      }
      blockStart[l.codesOffset(pair) + position] |= static_cast<uint8_t>(code << (4 * half));
    }
    if (l.signs()) // little-endian, as every target reads it
      for (int byte = 0; byte < 4; ++byte)
        out[block * l.blockBytes() + l.countsOffset() + 4 * (row % p.tileN) + byte] =
            static_cast<uint8_t>(static_cast<uint32_t>(negated) >> (8 * byte));
  }
  return true;
}

static void packIdx3(const Idx3Layout &l, const int8_t *w, uint8_t *out) {
  const LayoutParams &p = l.p;
  int64_t paddedRows = l.blocks() * p.tileN;
  for (int64_t row = 0; row < paddedRows; ++row)
    for (int64_t group = 0; group < l.groups(); ++group) {
      int64_t code = 0;
      for (int64_t j = Idx3Layout::kGroup - 1; j >= 0; --j) {
        int64_t col = group * Idx3Layout::kGroup + j;
        code = 3 * code + (row < p.n && col < p.k ? w[row * p.k + col] + 1 : 1);
      }
      out[l.offset(row / p.tileN, group) + row % p.tileN] =
          static_cast<uint8_t>(Idx3Layout::kCodeScale * code);
    }
}

bool pack(const LayoutParams &params, const int8_t *weights, uint8_t *out) {
  for (int64_t i = 0; i < params.n * params.k; ++i)
    if (weights[i] < -1 || weights[i] > 1)
      return false;
  if (params.format == Format::Idx3) {
    // Its tile_n counts rows of a register tile, not vectors of lanes.
    if (params.tileN <= 0 || params.slabs < 1)
      return false;
    packIdx3(Idx3Layout{params}, weights, out);
    return true;
  }
  if (params.lanes <= 0 || params.tileN <= 0 || params.tileN % params.lanes != 0 ||
      params.slabs < 1 || (isLut(params.format) && params.slabs != 1))
    return false;
  if (isLut(params.format))
    return params.tileN % (4 * params.lanes) == 0 && packLut(LutLayout{params}, weights, out);
  return packMfree(MfreeLayout{params}, weights, out);
}

} // namespace tern::packing
