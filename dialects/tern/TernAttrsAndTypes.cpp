//===- TernAttrsAndTypes.cpp - verifiers and syntax of tern attrs/types ---===//
#include "dialects/tern/TernDialect.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;

namespace tern {

int64_t packingGroupSize(Packing kind) {
  switch (kind) {
  case Packing::i2:
  case Packing::base3:
    return 4;
  case Packing::lut2:
    return 2;
  case Packing::lut3:
  case Packing::idx3:
    return 1;
  }
  llvm_unreachable("unknown packing");
}

bool strategySupportsPacking(Strategy strategy, Packing packing) {
  switch (strategy) {
  case Strategy::mfree:
  case Strategy::amx:
    return packing == Packing::i2 || packing == Packing::base3;
  case Strategy::lut:
    return packing == Packing::lut2 || packing == Packing::lut3;
  case Strategy::simt:
  case Strategy::mma:
    return packing == Packing::i2;
  case Strategy::rowlut:
    return packing == Packing::idx3;
  }
  llvm_unreachable("unknown strategy");
}

Strategy strategyForPacking(Packing packing) {
  switch (packing) {
  case Packing::i2:
  case Packing::base3:
    return Strategy::mfree;
  case Packing::lut2:
  case Packing::lut3:
    return Strategy::lut;
  case Packing::idx3:
    return Strategy::rowlut;
  }
  llvm_unreachable("unknown packing");
}

LogicalResult KernelAttr::verify(function_ref<InFlightDiagnostic()> emitError, Strategy strategy,
                                 int64_t lanes, int64_t tileN, int64_t tileM, int64_t unrollK,
                                 int64_t prefetch, int64_t streams) {
  if (lanes != 4 && lanes != 8 && lanes != 16)
    return emitError() << "lanes must be 4, 8 or 16 (128-, 256- or 512-bit vectors), got " << lanes;
  if (strategy == Strategy::rowlut) {
    // Its tile is tile_n x (16 / lanes) registers of int16 sums, one per
    // output row and vector of a table entry.
    if (tileN < 1 || tileN > 16)
      return emitError() << "a rowlut kernel's tile_n (output rows per register tile) must be in "
                            "[1, 16], got "
                         << tileN;
    if (tileM != 1 || prefetch != 0)
      return emitError() << "a rowlut kernel takes tile_m = 1 and prefetch = 0 (its tables fix the "
                            "activation rows), got tile_m = "
                         << tileM << ", prefetch = " << prefetch;
    if (streams < 1 || streams > 8)
      return emitError() << "streams must be in [1, 8], got " << streams;
    if (unrollK < 1 || unrollK > 8)
      return emitError() << "unroll_k must be in [1, 8], got " << unrollK;
    return success();
  }
  if (tileN <= 0 || tileN % lanes != 0)
    return emitError() << "tile_n must be a positive multiple of lanes (" << lanes << "), got "
                       << tileN;
  if (tileN / lanes > 16)
    return emitError() << "tile_n / lanes must be at most 16 vectors per block, got "
                       << tileN / lanes;
  if (tileM < 1 || tileM > 8)
    return emitError() << "tile_m must be in [1, 8], got " << tileM;
  if (unrollK < 1 || unrollK > 8)
    return emitError() << "unroll_k must be in [1, 8], got " << unrollK;
  if (prefetch < 0 || prefetch > 64)
    return emitError() << "prefetch must be in [0, 64] chunks, got " << prefetch;
  if (streams < 1 || streams > 8)
    return emitError() << "streams must be in [1, 8], got " << streams;
  // A warp is 32 threads: lanes rows times streams slices of K.
  if (strategy == Strategy::simt && lanes * streams != 32)
    return emitError() << "a simt kernel's lanes x streams must be 32 (one warp), got " << lanes
                       << " x " << streams;
  if (strategy == Strategy::simt && prefetch != 0)
    return emitError() << "a simt kernel does not prefetch (prefetch = 0), got " << prefetch;
  if (strategy == Strategy::mma) {
    // An MMA weight tile is 8 output rows, one vector of the i2 layout.
    if (lanes != 8)
      return emitError() << "an mma kernel's lanes must be 8 (the rows of an MMA weight tile), got "
                         << lanes;
    if (tileM > 2 || streams > 4 || prefetch != 0)
      return emitError() << "an mma kernel takes tile_m <= 2 activation tiles and streams <= 4 "
                            "weight tiles per warp, and does not prefetch; got tile_m = "
                         << tileM << ", streams = " << streams << ", prefetch = " << prefetch;
    if (tileN % (8 * streams) != 0)
      return emitError() << "an mma kernel's tile_n must be a multiple of 8 x streams (whole "
                            "warps), got "
                         << tileN;
  }
  if (strategy == Strategy::amx) {
    // 16-byte lanes of four weights make one tile row of 16 output rows.
    if (lanes != 16)
      return emitError() << "an amx kernel's lanes must be 16 (a tile row), got " << lanes;
    if (prefetch != 0)
      return emitError() << "an amx kernel does not prefetch (prefetch = 0), got prefetch = "
                         << prefetch;
    // A step's weight tiles divide one block's or, in tasks of two blocks,
    // a pair's.
    if ((2 * tileN / lanes) % unrollK != 0)
      return emitError() << "an amx kernel's unroll_k (weight tiles per step) must divide "
                            "2 x tile_n / 16 = "
                         << 2 * tileN / lanes << ", got " << unrollK;
    // Eight tile registers: activations, weights and the accumulators.
    if (tileM + unrollK + tileM * unrollK > 8)
      return emitError() << "an amx kernel's tiles (tile_m + unroll_k + tile_m x unroll_k) "
                            "must fit the 8 tile registers, got "
                         << tileM + unrollK + tileM * unrollK;
  }
  if (strategy == Strategy::lut && streams != 1)
    return emitError() << "a lut kernel reads one stream (streams = 1), got " << streams;
  // A lookup vector holds one row per byte: a block is whole vectors of them.
  if (strategy == Strategy::lut && tileN % (4 * lanes) != 0)
    return emitError() << "a lut kernel's tile_n must be a multiple of 4 * lanes (" << 4 * lanes
                       << " rows per lookup), got " << tileN;
  // A lut kernel sums 32 pairs of groups in 16 bits at a time.
  if (strategy == Strategy::lut && 32 % unrollK != 0)
    return emitError() << "a lut kernel's unroll_k must divide 32, got " << unrollK;
  return success();
}

LogicalResult TernaryType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, PackingAttr packing) {
  if (shape.size() != 2)
    return emitError() << "ternary matrix must have rank 2 (N x K), got rank " << shape.size();
  if (shape[0] <= 0 || shape[1] <= 0)
    return emitError() << "ternary matrix dimensions must be positive, got " << shape[0] << "x"
                       << shape[1];
  int64_t group = packingGroupSize(packing.getValue());
  if (shape[1] % group != 0)
    return emitError() << "K (" << shape[1] << ") must be a multiple of " << group
                       << ", the group size of packing '" << stringifyPacking(packing.getValue())
                       << "'";
  return success();
}

// !tern.ternary<NxK, #tern.packing<p>>
Type TernaryType::parse(AsmParser &parser) {
  SmallVector<int64_t, 2> shape;
  PackingAttr packing;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                                      /*withTrailingX=*/false) ||
      parser.parseComma() || parser.parseAttribute(packing) || parser.parseGreater())
    return {};
  return TernaryType::getChecked([&] { return parser.emitError(loc); }, parser.getContext(),
                                 ArrayRef<int64_t>(shape),
                                 packing);
}

void TernaryType::print(AsmPrinter &printer) const {
  printer << "<";
  llvm::interleave(getShape(), printer.getStream(), "x");
  printer << ", " << getPacking() << ">";
}

} // namespace tern
