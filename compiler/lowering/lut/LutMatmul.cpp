//===- LutMatmul.cpp - ternary matmul by table lookups --------------------===//
//
// T-MAC / bitnet.cpp TL style: K is cut into groups of g = 2 (lut2) or 3
// (lut3) activations. For each activation row and group, a table holds every
// sum the group's weights can make: 9 entries for g = 2; for g = 3 the 14
// sums of the codes c <= 13, the other 13 being their negations (w -> -w maps
// code c to 26 - c), which a sign bit per row and group selects. The packed
// weights are 4-bit codes that index the tables through tern.lookup16 (pshufb,
// tbl): one lookup finds the sums of one group for 4 * lanes output rows.
//
// Exactness. A group sum needs up to 10 bits (|sum| <= 384), so each table is
// split into an unsigned low byte and a signed high byte. Interleaving the two
// lookups' bytes gives the 16-bit sums directly; 32 pairs of groups (64
// sums, each at most 385 in magnitude, lut3's ~T included) stay within int16,
// then the sums are widened into int32. Nothing is
// rounded: the result is bit-exact like every other strategy.
//
// Structure, per panel of up to kPanelRows activation rows:
//   tables[row][group] (16 low bytes, 16 high bytes), built in parallel over
//   rows and chunks of groups; then in parallel over blocks of tile_n rows:
//     for each tile of tile_m activation rows:
//       for each segment of 32 pairs, unroll_k units per step (a unit is a
//       pair for lut2, 4 pairs sharing their sign bytes for lut3):
//         load the codes (one vector per 4 * lanes rows, prefetching
//         `prefetch` pairs ahead); low and high nibbles index the two groups
//         of the pair; for every activation row: 2 lookups, lut3 signs
//         applied, interleave, add into int16 sums
//       widen the int16 sums into int32, convert, divide by the scales, store
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/lut/LutMatmul.h"
#include "compiler/lowering/KernelLayouts.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace tern {
namespace {

using packing::LutLayout;

/// Activation rows whose tables are built (and kept) at once.
constexpr int64_t kPanelRows = 16;
/// Groups per table-building task: enough work to amortize a dispatch.
constexpr int64_t kGroupsPerTask = 128;
/// Pairs of groups summed in int16 before widening: 64 sums of at most 384.
constexpr int64_t kSegmentPairs = 32;
/// Bytes per group table: 16 low bytes, then 16 high bytes.
constexpr int64_t kTableBytes = 32;

class LutEmitter : MatmulEmitter {
public:
  LutEmitter(MatmulOp op, const MatmulOperands &operands, const TargetDesc *target,
             RewriterBase &rewriter)
      : MatmulEmitter(op, operands, target, rewriter) {
    KernelAttr kernel = op.getKernel();
    layout.p = weightLayout(kernel, op.getWeight().getType().getPacking().getValue(), n, k);
    tileM = kernel.getTileM();
    unrollK = kernel.getUnrollK();
    prefetch = kernel.getPrefetch();
    lanes = layout.p.lanes;
    vectorBytes = layout.rowsPerVector();
    codeType = VectorType::get({vectorBytes}, b.getI8Type());
    wordType = VectorType::get({vectorBytes / 2}, b.getI16Type());
    accType = VectorType::get({lanes}, b.getI32Type());
    tableType = VectorType::get({16}, b.getI8Type());
  }

  void emit() {
    Value rows = memref::DimOp::create(b, loc, a, 0);
    Value panel = index(kPanelRows);
    auto tablesType = MemRefType::get({ShapedType::kDynamic, groups() * kTableBytes}, b.getI8Type());
    Value tables = memref::AllocOp::create(b, loc, tablesType,
                                           ValueRange{arith::MinUIOp::create(b, loc, rows, panel)},
                                           b.getI64IntegerAttr(64));
    auto panels = scf::ForOp::create(b, loc, index(0), rows, panel);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(panels.getBody());
      Value p0 = panels.getInductionVar();
      Value panelRows =
          arith::MinUIOp::create(b, loc, panel, arith::SubIOp::create(b, loc, rows, p0));
      emitTables(tables, p0, panelRows);
      emitParallel(index(layout.blocks()), [&](Value block) {
        Value blockBytes = mul(toI64(block), i64(layout.blockBytes()));
        Value firstRow = mul(block, index(layout.p.tileN));
        if (prefetch > 0)
          prefetchRange(blockBytes, std::min(prefetch, layout.pairs()) * layout.bytesPerPair());
        emitRowTiles(index(0), panelRows, tileM, [&](Value r0, int64_t tileRows) {
          emitTile(block, blockBytes, firstRow, tables, p0, r0, tileRows);
        });
      });
    }
    memref::DeallocOp::create(b, loc, tables);
  }

private:
  int64_t groups() const { return 2 * layout.pairs(); } // tables exist for padding groups too

  // --- Tables --------------------------------------------------------------

  /// The weight of element `entry` of a table for position `j` of the group:
  /// digit j (most significant first) of the code, minus 1; 0 past the codes.
  int64_t tableWeight(int64_t entry, int64_t j) const {
    int64_t g = layout.group(), codes = layout.signs() ? 14 : 9;
    if (entry >= codes)
      return 0;
    for (int64_t i = g - 1; i > j; --i)
      entry /= 3;
    return entry % 3 - 1;
  }

  void emitTables(Value tables, Value p0, Value panelRows) {
    int64_t chunks = packing::ceilDiv(groups(), kGroupsPerTask);
    // Groups whose activations all lie inside K need no bounds checks.
    int64_t inside = k / layout.group();
    emitParallel(mul(panelRows, index(chunks)), [&](Value task) {
      Value r = arith::DivUIOp::create(b, loc, task, index(chunks));
      Value chunk = arith::RemUIOp::create(b, loc, task, index(chunks));
      Value m = add(p0, r);
      Value first = mul(chunk, index(kGroupsPerTask));
      Value last = arith::MinUIOp::create(b, loc, add(first, index(kGroupsPerTask)), index(groups()));
      Value split = arith::MaxUIOp::create(b, loc, first, arith::MinUIOp::create(b, loc, last, index(inside)));
      auto emitGroups = [&](Value from, Value to, bool guarded) {
        auto loop = scf::ForOp::create(b, loc, from, to, index(1));
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        emitGroupTable(tables, r, m, loop.getInductionVar(), guarded);
      };
      emitGroups(first, split, /*guarded=*/false);
      emitGroups(split, last, /*guarded=*/true);
    });
  }

  /// tables[r][group]: sum_j a[m][group * g + j] * tableWeight(entry, j) as
  /// 16 low bytes and 16 high bytes; activations past K count as 0.
  void emitGroupTable(Value tables, Value r, Value m, Value group, bool guarded) {
    auto entries = VectorType::get({16}, b.getI16Type());
    Value sum = zeros(entries);
    for (int64_t j = 0; j < layout.group(); ++j) {
      Value col = add(mul(group, index(layout.group())), index(j));
      Value valid;
      if (guarded) {
        valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, index(k));
        col = arith::SelectOp::create(b, loc, valid, col, index(0));
      }
      Value x = memref::LoadOp::create(b, loc, a, ValueRange{m, col});
      if (guarded)
        x = arith::SelectOp::create(b, loc, valid, x, arith::ConstantIntOp::create(b, loc, 0, 8));
      Value wide = arith::ExtSIOp::create(b, loc, b.getI16Type(), x);
      SmallVector<int16_t> weightsOfEntries;
      for (int64_t e = 0; e < 16; ++e)
        weightsOfEntries.push_back(static_cast<int16_t>(tableWeight(e, j)));
      Value signs = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(entries, ArrayRef(weightsOfEntries)));
      sum = add(sum, mul(vector::BroadcastOp::create(b, loc, entries, wide), signs));
    }
    Value offset = mul(group, index(kTableBytes));
    Value low = arith::TruncIOp::create(b, loc, tableType, sum);
    Value high = arith::TruncIOp::create(
        b, loc, tableType, arith::ShRSIOp::create(b, loc, sum, splat(entries, 8)));
    vector::StoreOp::create(b, loc, low, tables, ValueRange{r, offset});
    vector::StoreOp::create(b, loc, high, tables, ValueRange{r, add(offset, index(16))});
  }

  // --- The kernel ----------------------------------------------------------

  using Sums = SmallVector<Value>; // int16: [(row * vectors + vector) * 2 + half]
  using Accumulators = SmallVector<Value>; // int32: [(row * vectors + vector) * 4 + quarter]

  void emitTile(Value block, Value blockBytes, Value firstRow, Value tables, Value p0, Value r0,
                int64_t tileRows) {
    int64_t vectors = layout.vectors(), unit = layout.unitPairs();
    int64_t segments = layout.pairs() / kSegmentPairs, tailPairs = layout.pairs() % kSegmentPairs;
    Accumulators accs(tileRows * vectors * 4, zeros(accType));

    // Sums pairs [first, first + count), `unroll` units of pairs per step.
    auto emitPairs = [&](Value first, int64_t count, int64_t unroll) -> Sums {
      Sums sums(tileRows * vectors * 2, zeros(wordType));
      auto loop = scf::ForOp::create(b, loc, index(0), index(count / (unit * unroll)), index(1), sums);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Sums inner(loop.getRegionIterArgs().begin(), loop.getRegionIterArgs().end());
      Value base = add(first, mul(loop.getInductionVar(), index(unit * unroll)));
      for (int64_t u = 0; u < unroll; ++u)
        emitUnit(add(base, index(u * unit)), blockBytes, tables, r0, tileRows, inner);
      scf::YieldOp::create(b, loc, inner);
      return Sums(loop.getResults().begin(), loop.getResults().end());
    };

    if (segments > 0) {
      auto loop = scf::ForOp::create(b, loc, index(0), index(segments), index(1), accs);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Accumulators inner(loop.getRegionIterArgs().begin(), loop.getRegionIterArgs().end());
      widenInto(emitPairs(mul(loop.getInductionVar(), index(kSegmentPairs)), kSegmentPairs, unrollK),
                inner);
      scf::YieldOp::create(b, loc, inner);
      accs.assign(loop.getResults().begin(), loop.getResults().end());
    }
    if (tailPairs > 0)
      widenInto(emitPairs(index(segments * kSegmentPairs), tailPairs, 1), accs);

    // lut3 summed ~T = -T - 1 for every negated group: add the rows' counts.
    if (layout.signs())
      for (int64_t q = 0; q < vectors * 4; ++q) {
        Value negated =
            loadWeights(accType, add(blockBytes, i64(layout.countsOffset() + 4 * q * lanes)), 0);
        for (int64_t r = 0; r < tileRows; ++r)
          accs[r * vectors * 4 + q] = add(accs[r * vectors * 4 + q], negated);
      }

    emitForValidRows(block, layout.blocks(), layout.p.tileN, [&](int64_t validRows) {
      for (int64_t r = 0; r < tileRows; ++r) {
        Value m = add(p0, add(r0, index(r)));
        Value scale = divisor(m, lanes);
        for (int64_t q = 0; q < vectors * 4 && q * lanes < validRows; ++q)
          storeScaled(m, add(firstRow, index(q * lanes)), accs[r * vectors * 4 + q], scale,
                      validRows - q * lanes);
      }
    });
  }

  /// int16 sums of rows [h V/2, (h + 1) V/2) of a vector become the int32
  /// accumulators of quarters 2h and 2h + 1.
  void widenInto(const Sums &sums, Accumulators &accs) {
    for (size_t s = 0; s < sums.size(); ++s)
      for (int64_t part = 0; part < 2; ++part) {
        Value slice = vector::ExtractStridedSliceOp::create(b, loc, sums[s], ArrayRef<int64_t>{part * lanes},
                                                            ArrayRef<int64_t>{lanes}, ArrayRef<int64_t>{1});
        Value &acc = accs[2 * s + part];
        acc = add(acc, arith::ExtSIOp::create(b, loc, accType, slice));
      }
  }

  /// The byte interleave of lookups `low` and `high` that yields the 16-bit
  /// sums of half h of the rows (packing::LutLayout orders them for it).
  Value interleave(Value low, Value high, int64_t h) {
    SmallVector<int64_t> positions;
    for (int64_t lane = 0; lane < vectorBytes / 16; ++lane)
      for (int64_t i = 0; i < 8; ++i) {
        positions.push_back(16 * lane + 8 * h + i);
        positions.push_back(vectorBytes + 16 * lane + 8 * h + i);
      }
    Value bytes = vector::ShuffleOp::create(b, loc, low, high, positions);
    return vector::BitCastOp::create(b, loc, wordType, bytes);
  }

  /// Sums the pairs of the unit that starts at `first`. lut3 negates a sum
  /// T, whose low and high bytes are two lookups, as ~T = -T - 1: both bytes
  /// are xor-ed with the row's sign mask (byte ops, before the interleave);
  /// the layout's per-row counts make up the -1s. Group j's sign is the top
  /// bit of the sign bytes doubled j times.
  void emitUnit(Value first, Value blockBytes, Value tables, Value r0, int64_t tileRows, Sums &sums) {
    int64_t vectors = layout.vectors();
    Value unitBytes = add(blockBytes, mul(toI64(first), i64(layout.bytesPerPair())));
    for (int64_t v = 0; v < vectors; ++v) {
      Value signBits;
      if (layout.signs())
        signBits = loadWeights(codeType, add(unitBytes, i64(layout.signsOffset(0) + v * vectorBytes)), 0);
      for (int64_t pair = 0; pair < layout.unitPairs(); ++pair) {
        Value codes = loadWeights(codeType, add(unitBytes, i64(layout.codesOffset(pair) + v * vectorBytes)),
                                  prefetch * layout.bytesPerPair());
        Value nibbles[2] = {arith::AndIOp::create(b, loc, codes, splat(codeType, 15)),
                            arith::ShRUIOp::create(b, loc, codes, splat(codeType, 4))};
        for (int64_t half = 0; half < 2; ++half) {
          Value group = add(mul(add(first, index(pair)), index(2)), index(half));
          Value offset = mul(group, index(kTableBytes));
          Value negate;
          if (layout.signs()) {
            if (pair + half > 0)
              signBits = add(signBits, signBits);
            Value set = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, signBits, zeros(codeType));
            negate = arith::ExtSIOp::create(b, loc, codeType, set);
          }
          for (int64_t r = 0; r < tileRows; ++r) {
            Value row = add(r0, index(r));
            Value lowTable = vector::LoadOp::create(b, loc, tableType, tables, ValueRange{row, offset});
            Value highTable = vector::LoadOp::create(b, loc, tableType, tables,
                                                     ValueRange{row, add(offset, index(16))});
            Value low = Lookup16Op::create(b, loc, codeType, lowTable, nibbles[half]);
            Value high = Lookup16Op::create(b, loc, codeType, highTable, nibbles[half]);
            if (negate) {
              low = arith::XOrIOp::create(b, loc, low, negate);
              high = arith::XOrIOp::create(b, loc, high, negate);
            }
            for (int64_t h = 0; h < 2; ++h) {
              Value &sum = sums[(r * vectors + v) * 2 + h];
              sum = add(sum, interleave(low, high, h));
            }
          }
        }
      }
    }
  }

  LutLayout layout;
  int64_t tileM, unrollK, prefetch, lanes, vectorBytes;
  VectorType codeType, wordType, accType, tableType;
};

} // namespace

LogicalResult lowerLutMatmul(MatmulOp op, const MatmulOperands &operands,
                             const TargetDesc *target, RewriterBase &rewriter) {
  Packing packing = op.getWeight().getType().getPacking().getValue();
  if (packing != Packing::lut2 && packing != Packing::lut3)
    return op.emitOpError("the lut lowering reads lut2 and lut3 packings");
  LutEmitter(op, operands, target, rewriter).emit();
  rewriter.eraseOp(op);
  return success();
}

KernelAttr defaultLutKernel(MLIRContext *ctx, int64_t lanes, int64_t m) {
  // Decoding streams the codes from DRAM: prefetching 32 pairs ahead made
  // every 2B4T shape 13-16% faster than none on Zen 5 (tern-bench, 2 threads).
  return KernelAttr::get(ctx, Strategy::lut, lanes, /*tile_n=*/4 * lanes,
                         /*tile_m=*/m > 1 ? 2 : 1, /*unroll_k=*/2, /*prefetch=*/m > 1 ? 0 : 32,
                         /*streams=*/1);
}

SearchSpace lutSearchSpace(int64_t lanes, int64_t m) {
  std::vector<ParameterRange> params = {
      {"tile_n", {4 * lanes, 8 * lanes, 16 * lanes}},
      {"tile_m", m == 1 ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 2, 3, 4}},
      {"unroll_k", {1, 2, 4}}};
  if (m == 1)
    params.push_back({"prefetch", {0, 8, 16, 32}});
  // The segment loop's body: unroll_k units of pairs of groups, for the tile.
  auto work = [](const Candidate &c, int64_t m) -> int64_t {
    bool lut3 = c.packing == Packing::lut3;
    int64_t group = lut3 ? 3 : 2, unitPairs = lut3 ? packing::LutLayout::kSignPairs : 1;
    return c.kernel.getUnrollK() * unitPairs * 2 * group * c.kernel.getTileN() *
           std::min(c.kernel.getTileM(), m);
  };
  return SearchSpace(Strategy::lut, {Packing::lut2, Packing::lut3}, lanes, std::move(params),
                     work);
}

} // namespace tern
