//===- AmxMatmul.cpp - ternary matmul on x86 AMX tiles -------------------===//
//
// y[m][n] = (sum_k a[m][k] w[n][k]) / (a_scale[m] w_scale) with AMX's
// int8 x int8 -> int32 tile product (tdpbssd): an activation tile holds 16
// rows x 64 bytes of a, a weight tile 16 quads of K x 16 output rows x 4
// bytes, an accumulator tile 16 x 16 int32 sums.
//
// The mfree layouts already have the weight tile's shape: a 64-byte vector
// of a chunk's plane (i2) or digit (base3) is four consecutive K values for
// each of 16 output rows, i.e. one row of a weight tile. So, per task of
// one block of tile_n output rows (the parallel dimension), or two where
// unroll_k does not divide a block's tile_n/16 (e.g. 2 of 3 with tile_n 48,
// a layout the decode kernels may choose), with a stack panel of K/64 x
// the task's weight tiles (base3: all decoded before the first step, its
// chunks of 20 K values not lining up with steps of 64):
//   for each group of unroll_k weight tiles (16 output rows each):
//     for each step of tile_m activation tiles (16 rows each):
//       tile_m x unroll_k accumulator tiles over K, 64 at a time, the first
//       step decoding each i2 weight tile into the panel (w = plane - 1
//       in {-1, 0, 1}) just before it multiplies it, the others reusing it;
//       store them into one of two sets of accumulator rows (by the
//       step's parity); in K step r of the next step, divide row r of
//       every tile of this one by its scale and store it in y, so that
//       this vector work runs beside the tile products (the last step's
//       rows are stored after its products); the K steps of the steps
//       after the first also prefetch a share of the next task's
//       weights, which would otherwise arrive from DRAM only as the first
//       step decodes them, slower than the tiles consume them.
// The weights are exact signed bytes, so no row sums are needed.
//
// Activation tiles always load 16 whole rows: the last step's tiles start
// at M - 16 (recomputing rows that earlier steps stored, which are not
// stored again), and a matmul of fewer than 16 rows first copies its rows
// into a zero-padded 16-row buffer.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/amx/AmxMatmul.h"
#include "compiler/lowering/KernelLayouts.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace tern {
namespace {

using packing::MfreeLayout;

constexpr int64_t kTileRows = 16;  // rows of every tile
constexpr int64_t kTileBytes = 64; // bytes of an int8 tile row
constexpr int64_t kChunksPerStep = kTileBytes / 16; // i2 chunks (16 K values) per K step

/// slabStarts of each block of a task.
using TaskStarts = SmallVector<SmallVector<Value>>;

class AmxEmitter : MatmulEmitter {
public:
  AmxEmitter(MatmulOp op, const MatmulOperands &operands, const TargetDesc *target,
             RewriterBase &rewriter)
      : MatmulEmitter(op, operands, target, rewriter) {
    KernelAttr kernel = op.getKernel();
    packing = op.getWeight().getType().getPacking().getValue();
    layout.p = weightLayout(kernel, packing, n, k);
    aTiles = kernel.getTileM();
    wTiles = kernel.getUnrollK();
    blockTiles = layout.vectorsPerChunk();
    taskBlocks = amxTaskBlocks(layout.p.tileN, wTiles);
    taskTiles = taskBlocks * blockTiles;
    byteType = VectorType::get({kTileBytes}, b.getI8Type());
    aTileType = amx::TileType::get({kTileRows, kTileBytes}, b.getI8Type());
    accTileType = amx::TileType::get({kTileRows, kTileRows}, b.getI32Type());
  }

  void emit() {
    Value rows = memref::DimOp::create(b, loc, a, 0);
    Value tall = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rows, index(kTileRows));
    auto branch = scf::IfOp::create(b, loc, tall, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    emitBlocks(a, rows, rows);
    b.setInsertionPointToStart(branch.elseBlock());
    emitBlocks(padActivations(rows), index(kTileRows), rows);
  }

private:
  /// a's `rows` (< 16) rows followed by zero rows: 16 x K bytes.
  Value padActivations(Value rows) {
    auto padded = memref::AllocaOp::create(
        b, loc, MemRefType::get({kTileRows, k}, b.getI8Type()), ValueRange{}, b.getI64IntegerAttr(64));
    auto fill = [&](Value rowCount, bool copy) {
      auto rowLoop = scf::ForOp::create(b, loc, index(0), rowCount, index(1));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(rowLoop.getBody());
      Value r = rowLoop.getInductionVar();
      auto colLoop = scf::ForOp::create(b, loc, index(0), index(k), index(kTileBytes));
      b.setInsertionPointToStart(colLoop.getBody());
      Value c = colLoop.getInductionVar();
      Value bytes = copy ? vector::LoadOp::create(b, loc, byteType, a, ValueRange{r, c}).getResult()
                         : zeros(byteType);
      vector::StoreOp::create(b, loc, bytes, padded, ValueRange{r, c});
    };
    fill(index(kTileRows), /*copy=*/false);
    fill(rows, /*copy=*/true);
    return padded;
  }

  /// Where each block of task `task` starts, slab by slab (slabStarts); a
  /// block past the last (the last task of an odd count) reads the last
  /// block's weights, which only rows that are not stored multiply.
  TaskStarts taskStarts(Value task) {
    TaskStarts starts;
    for (int64_t j = 0; j < taskBlocks; ++j)
      starts.push_back(slabStarts(
          layout, arith::MinUIOp::create(b, loc, add(mul(task, index(taskBlocks)), index(j)),
                                         index(layout.blocks() - 1))));
    return starts;
  }

  /// The parallel loop over tasks, reading activation tiles from `source`
  /// (sourceRows >= 16 rows) and storing the first `rows` rows of y.
  void emitBlocks(Value source, Value sourceRows, Value rows) {
    int64_t steps = k / kTileBytes, tasks = llvm::divideCeil(layout.blocks(), taskBlocks);
    int64_t sumRows = aTiles * wTiles * kTileRows;
    emitParallel(index(tasks), [&](Value task) {
      TaskStarts weightStarts = taskStarts(task);
      TaskStarts nextStarts =
          taskStarts(arith::MinUIOp::create(b, loc, add(task, index(1)), index(tasks - 1)));
      Value firstRow = mul(task, index(taskBlocks * layout.p.tileN));
      // Weight tile (step, tile) is rows [(step * taskTiles + tile) * 16, +16).
      auto panel = memref::AllocaOp::create(
          b, loc, MemRefType::get({steps * taskTiles * kTileRows, kTileBytes}, b.getI8Type()),
          ValueRange{}, b.getI64IntegerAttr(64));
      // Two sets of accumulator rows, one per parity of the step: a step's
      // tile products run while the previous step's rows are scaled and
      // stored from the other set.
      auto sums = memref::AllocaOp::create(
          b, loc, MemRefType::get({2 * sumRows, kTileRows}, b.getI32Type()), ValueRange{},
          b.getI64IntegerAttr(64));
      Value stepRows = index(aTiles * kTileRows);
      Value lastStart = arith::SubIOp::create(b, loc, sourceRows, index(kTileRows));
      // Activation tile t of the step at m0 starts at min(m0 + 16 t, sourceRows - 16).
      auto startsAt = [&](Value m0) {
        SmallVector<Value> starts;
        for (int64_t t = 0; t < aTiles; ++t)
          starts.push_back(
              arith::MinUIOp::create(b, loc, add(m0, index(t * kTileRows)), lastStart));
        return starts;
      };
      auto setOf = [&](Value m0) {
        Value parity = arith::RemUIOp::create(
            b, loc, arith::DivUIOp::create(b, loc, m0, stepRows), index(2));
        return mul(parity, index(sumRows));
      };
      // base3 chunks (20 K values) do not line up with K steps (64): the
      // task's blocks are decoded whole before the first step.
      if (packing == Packing::base3)
        decodeBase3Blocks(weightStarts, panel);
      // The steps of rows after the first prefetch the next task's blocks,
      // in one share per such step and pass over the groups of weight tiles;
      // where there are none (at most 16 tile_m rows), the first step does.
      int64_t passes = taskTiles / wTiles;
      Value laterSteps = arith::DivUIOp::create(
          b, loc, arith::SubIOp::create(b, loc, rows, index(1)), stepRows);
      Value firstStepPrefetches = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                                        laterSteps, index(0));
      Value shareSteps = mul(arith::MaxUIOp::create(b, loc, laterSteps, index(1)),
                             index(passes * steps));
      SmallVector<Value> linesPerStep; // of each slab
      for (int64_t slab = 0; slab < layout.slabs(); ++slab) {
        int64_t lines = (layout.chunksInSlab(slab) * layout.chunkBytes() + 63) / 64;
        linesPerStep.push_back(
            arith::DivUIOp::create(b, loc, add(index(lines - 1), shareSteps), shareSteps));
      }
      emitForValidRows(task, tasks, taskBlocks * layout.p.tileN, [&](int64_t validRows) {
        for (int64_t group = 0; group < taskTiles && group * kTileRows < validRows;
             group += wTiles) {
          // The first step of rows decodes the i2 weight tiles it
          // multiplies, so that the decoding overlaps the tile products;
          // later steps reuse them.
          NextTask firstNext{nextStarts, linesPerStep, index(group / wTiles),
                             firstStepPrefetches};
          multiplyTiles(source, panel, sums, index(0), startsAt(index(0)), steps, group,
                        packing == Packing::i2 ? &weightStarts : nullptr, nullptr, &firstNext);
          {
            auto mLoop = scf::ForOp::create(b, loc, stepRows, rows, stepRows);
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(mLoop.getBody());
            Value m0 = mLoop.getInductionVar();
            // Every step before the last is whole: its rows are all new.
            Value previous = arith::SubIOp::create(b, loc, m0, stepRows);
            PendingRows pending{sums, setOf(previous), previous, firstRow, group, validRows};
            // Later step i of pass p prefetches share i * passes + p.
            Value laterStep = arith::SubIOp::create(
                b, loc, arith::DivUIOp::create(b, loc, m0, stepRows), index(1));
            NextTask next{nextStarts, linesPerStep,
                          add(mul(laterStep, index(passes)), index(group / wTiles)), nullptr};
            multiplyTiles(source, panel, sums, setOf(m0), startsAt(m0), steps, group, nullptr,
                          &pending, &next);
          }
          // The last step's rows; its tiles may overlap an earlier step's.
          Value lastM0 = mul(laterSteps, stepRows);
          Value lastSet = setOf(lastM0);
          SmallVector<Value> lastStarts = startsAt(lastM0);
          for (int64_t t = 0; t < aTiles; ++t)
            storeRows(sums, lastSet, t, lastStarts[t], add(lastM0, index(t * kTileRows)), rows,
                      firstRow, group, validRows);
        }
      });
    });
  }

  /// A whole step's accumulator rows waiting in `sums` from row `set` on, for
  /// activation rows [m0, m0 + 16 tile_m).
  struct PendingRows {
    Value sums, set, m0, firstRow;
    int64_t group, validRows;
  };

  /// The next task's weights, prefetched into L2 in equal shares, one per
  /// step of rows after the first (or the first alone) and pass over the
  /// groups of weight tiles: `share` is the one now. (2560x2560, m = 128, 2 threads, weights from
  /// DRAM: 430 against 448 us a call.)
  struct NextTask {
    const TaskStarts &starts;
    ArrayRef<Value> linesPerStep; // of each slab: its lines over the shares' K steps
    Value share;
    Value when; // an i1 the prefetches wait on; null: always
  };

  /// Prefetches the part of the next task's weights for K step `step` of
  /// share `next.share`: spread evenly over the shares' K steps, slab by
  /// slab of each block.
  void prefetchNextTask(const NextTask &next, Value step, int64_t steps) {
    OpBuilder::InsertionGuard guard(b);
    if (next.when)
      b.setInsertionPointToStart(
          scf::IfOp::create(b, loc, next.when, /*withElseRegion=*/false).thenBlock());
    Value stepIndex = add(mul(next.share, index(steps)), step);
    for (ArrayRef<Value> blockStarts : next.starts)
      for (int64_t slab = 0; slab < layout.slabs(); ++slab) {
        Value first = mul(stepIndex, next.linesPerStep[slab]);
        auto lineLoop =
            scf::ForOp::create(b, loc, first, add(first, next.linesPerStep[slab]), index(1));
        OpBuilder::InsertionGuard lineGuard(b);
        b.setInsertionPointToStart(lineLoop.getBody());
        prefetchWeights(
            add(blockStarts[slab], toI64(mul(lineLoop.getInductionVar(), index(64)))),
            /*locality=*/2);
      }
  }

  /// Weight tile (step, tile) of the panel <- the task's weights at
  /// `weightStarts`, as signed bytes: the four chunks of the step, the
  /// tile's 64-byte vector of each (group tile % blockTiles of block
  /// tile / blockTiles) split into its four planes.
  void decodeTile(const TaskStarts &weightStarts, Value panel, Value step, int64_t tile) {
    Value tileRow = mul(add(mul(step, index(taskTiles)), index(tile)), index(kTileRows));
    for (int64_t c = 0; c < kChunksPerStep; ++c) {
      Value chunk = add(mul(step, index(kChunksPerStep)), index(c));
      Value packed = loadWeights(byteType,
                                 add(chunkOffset(layout, weightStarts[tile / blockTiles], chunk, -1),
                                     i64(tile % blockTiles * layout.vectorBytes())),
                                 0);
      for (int64_t plane = 0; plane < 4; ++plane) {
        Value row = add(tileRow, index(c * MfreeLayout::kBytesPerLane + plane));
        vector::StoreOp::create(b, loc, unpackI2(packed, plane, /*bias=*/-1), panel,
                                ValueRange{row, index(0)});
      }
    }
  }

  /// The whole panel <- the task's base3 weights at `weightStarts`: digit s
  /// of the bytes of group g's vector of chunk c of block j is the tile row
  /// of K values 20c + 4s .. +3, quad q = 5c + s, i.e. row q % 16 of weight
  /// tile (q / 16, j blockTiles + g), as signed bytes.
  void decodeBase3Blocks(const TaskStarts &weightStarts, Value panel) {
    Value one = splat(byteType, 1);
    int64_t planes = layout.planes(), quads = k / MfreeLayout::kBytesPerLane;
    auto decodeChunk = [&](Value chunk, int64_t chunkPlanes) {
      for (int64_t t = 0; t < taskTiles; ++t) {
        Value x = loadWeights(byteType,
                              add(chunkOffset(layout, weightStarts[t / blockTiles], chunk, -1),
                                  i64(t % blockTiles * layout.vectorBytes())),
                              0);
        for (int64_t s = 0; s < chunkPlanes; ++s) {
          Value quad = add(mul(chunk, index(planes)), index(s));
          Value tile = add(
              mul(arith::DivUIOp::create(b, loc, quad, index(kTileRows)), index(taskTiles)),
              index(t));
          Value row = add(mul(tile, index(kTileRows)),
                          arith::RemUIOp::create(b, loc, quad, index(kTileRows)));
          vector::StoreOp::create(b, loc, arith::SubIOp::create(b, loc, base3Digit(x), one), panel,
                                  ValueRange{row, index(0)});
          if (s + 1 < chunkPlanes)
            x = times3(x);
        }
      }
    };
    auto loop = scf::ForOp::create(b, loc, index(0), index(quads / planes), index(1));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      decodeChunk(loop.getInductionVar(), planes);
    }
    if (quads % planes != 0)
      decodeChunk(index(quads / planes), quads % planes);
  }

  /// sums[set...] <- the accumulator tiles of activation tiles at `starts`
  /// times weight tiles [group, group + wTiles), over all of K; each weight
  /// tile is first decoded from the task's weights in `decodeFrom` where it
  /// is set. Row r of the `pending` step is stored in K step r, its vector
  /// work beside the tile products (after the loop where K has fewer steps). Each K step
  /// prefetches its part of `next` where it is set.
  void multiplyTiles(Value source, Value panel, Value sums, Value set, ArrayRef<Value> starts,
                     int64_t steps, int64_t group, const TaskStarts *decodeFrom,
                     const PendingRows *pending, const NextTask *next) {
    SmallVector<Value> init;
    for (int64_t i = 0; i < aTiles * wTiles; ++i)
      init.push_back(amx::TileZeroOp::create(b, loc, accTileType));
    auto kLoop = scf::ForOp::create(b, loc, index(0), index(steps), index(1), init);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(kLoop.getBody());
      Value step = kLoop.getInductionVar();
      Value col = mul(step, index(kTileBytes));
      SmallVector<Value> weightTiles, activationTiles, acc(kLoop.getRegionIterArgs());
      for (int64_t w = 0; w < wTiles; ++w) {
        if (decodeFrom)
          decodeTile(*decodeFrom, panel, step, group + w);
        Value row = mul(add(mul(step, index(taskTiles)), index(group + w)), index(kTileRows));
        weightTiles.push_back(
            amx::TileLoadOp::create(b, loc, aTileType, panel, ValueRange{row, index(0)}));
      }
      for (Value start : starts)
        activationTiles.push_back(
            amx::TileLoadOp::create(b, loc, aTileType, source, ValueRange{start, col}));
      for (int64_t t = 0; t < aTiles; ++t)
        for (int64_t w = 0; w < wTiles; ++w) {
          Value &c = acc[t * wTiles + w];
          c = amx::TileMulIOp::create(b, loc, accTileType, activationTiles[t], weightTiles[w], c,
                                      /*isZextLhs=*/false, /*isZextRhs=*/false);
        }
      if (next)
        prefetchNextTask(*next, step, steps);
      if (pending) {
        auto inTile = scf::IfOp::create(
            b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, step, index(kTileRows)),
            /*withElseRegion=*/false);
        OpBuilder::InsertionGuard ifGuard(b);
        b.setInsertionPointToStart(inTile.thenBlock());
        storePendingRow(*pending, step);
      }
      scf::YieldOp::create(b, loc, acc);
    }
    if (pending)
      for (int64_t r = steps; r < kTileRows; ++r)
        storePendingRow(*pending, index(r));
    for (int64_t i = 0; i < aTiles * wTiles; ++i)
      amx::TileStoreOp::create(b, loc, sums, ValueRange{add(set, index(i * kTileRows)), index(0)},
                               kLoop.getResult(i));
  }

  /// Row r of every activation tile of a pending step.
  void storePendingRow(const PendingRows &p, Value r) {
    for (int64_t t = 0; t < aTiles; ++t)
      storeRow(p.sums, p.set, t, r, add(p.m0, add(index(t * kTileRows), r)), p.firstRow, p.group,
               p.validRows);
  }

  /// y rows of activation tile t, whose accumulator rows hold activation
  /// rows start + r: those in [firstNew, rows) are stored (the others belong
  /// to another step).
  void storeRows(Value sums, Value set, int64_t t, Value start, Value firstNew, Value rows,
                 Value firstRow, int64_t group, int64_t validRows) {
    Value end = arith::MinUIOp::create(b, loc, add(start, index(kTileRows)), rows);
    auto loop = scf::ForOp::create(b, loc, arith::MaxUIOp::create(b, loc, start, firstNew), end,
                                   index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value m = loop.getInductionVar();
    storeRow(sums, set, t, arith::SubIOp::create(b, loc, m, start), m, firstRow, group, validRows);
  }

  /// y[m] for accumulator row r of activation tile t, for the weight tiles of
  /// the group with rows among the block's first validRows, all divided by
  /// m's scale.
  void storeRow(Value sums, Value set, int64_t t, Value r, Value m, Value firstRow, int64_t group,
                int64_t validRows) {
    Value scale = divisor(m, kTileRows);
    auto sumType = VectorType::get({kTileRows}, b.getI32Type());
    for (int64_t w = 0; w < wTiles; ++w) {
      int64_t firstValid = validRows - (group + w) * kTileRows;
      if (firstValid <= 0)
        break;
      Value sumRow = add(add(set, index((t * wTiles + w) * kTileRows)), r);
      Value rowSums = vector::LoadOp::create(b, loc, sumType, sums, ValueRange{sumRow, index(0)});
      storeScaled(m, add(firstRow, index((group + w) * kTileRows)), rowSums, scale,
                  std::min(firstValid, kTileRows));
    }
  }

  Packing packing;
  MfreeLayout layout;
  int64_t aTiles, wTiles;
  // A task (one iteration of the parallel loop) covers taskBlocks blocks
  // of blockTiles weight tiles each.
  int64_t blockTiles, taskBlocks, taskTiles;
  VectorType byteType;
  amx::TileType aTileType, accTileType;
};

} // namespace

int64_t amxTaskBlocks(int64_t tileN, int64_t unrollK) {
  return (tileN / kTileRows) % unrollK == 0 ? 1 : 2;
}

bool amxSupports(const TargetDesc &target, int64_t k, int64_t tileN, int64_t unrollK) {
  return target.arch == "x86_64" && target.hasFeature("amx-int8") && k % kTileBytes == 0 &&
         tileN % kTileRows == 0 && k * tileN * amxTaskBlocks(tileN, unrollK) <= kMaxPanelBytes;
}

LogicalResult lowerAmxMatmul(MatmulOp op, const MatmulOperands &operands, const TargetDesc *target,
                             RewriterBase &rewriter) {
  Packing packing = op.getWeight().getType().getPacking().getValue();
  if (packing != Packing::i2 && packing != Packing::base3)
    return op.emitOpError("the amx lowering reads the i2 and base3 packings");
  int64_t k = op.getWeight().getType().getCols();
  if (!target || !target->hasFeature("amx-int8"))
    return op.emitOpError("the amx strategy needs an x86 target with amx-int8 (e.g. --cpu "
                          "sapphirerapids)");
  if (k % kTileBytes != 0)
    return op.emitOpError("the amx strategy needs K to be a multiple of 64, got ") << k;
  int64_t tileN = op.getKernel().getTileN();
  int64_t taskRows = tileN * amxTaskBlocks(tileN, op.getKernel().getUnrollK());
  if (k * taskRows > kMaxPanelBytes)
    return op.emitOpError("the amx strategy keeps a task's decoded weights (K x ")
           << taskRows << " rows = " << k * taskRows << " bytes) on the stack, at most "
           << kMaxPanelBytes << "; use a smaller tile_n";
  AmxEmitter(op, operands, target, rewriter).emit();
  rewriter.eraseOp(op);
  return success();
}

KernelAttr defaultAmxKernel(MLIRContext *ctx) {
  return KernelAttr::get(ctx, Strategy::amx, /*lanes=*/16, /*tile_n=*/64, /*tile_m=*/2,
                         /*unroll_k=*/2, /*prefetch=*/0, /*streams=*/1);
}

SearchSpace amxSearchSpace() {
  std::vector<ParameterRange> params = {
      {"tile_n", {16, 32, 64, 128}}, {"tile_m", {1, 2, 3, 4}}, {"unroll_k", {1, 2, 3, 4}}};
  // One K step: tile_m x unroll_k tile products of 16 x 16 x 64.
  auto work = [](const Candidate &c, int64_t) -> int64_t {
    return c.kernel.getTileM() * c.kernel.getUnrollK() * kTileRows * kTileRows * kTileBytes;
  };
  return SearchSpace(Strategy::amx, {Packing::i2, Packing::base3}, /*lanes=*/16, std::move(params),
                     work);
}

} // namespace tern
