//===- Attention.cpp - causal grouped-query attention over the KV cache ---===//
//
// The new keys and values are appended to the caches, then every (row, KV
// head) pair is an independent task for the query heads that share that KV
// head (grouped-query attention): each cached key is read once for all of
// them, then per query head a max-subtracted softmax, then the weighted sums
// of the cached values, each value read once for all of them too.
//
// All of it is computed in f64 and rounded to f32 once at the end, so the
// result is the correctly rounded one (but at ties, whatever the order of the
// f64 sums, whether they fuse their products and whether the softmax divides
// each weight or the weighted sum by the weights' total): the output is
// quantized to int8 right after its norm, and a last-bit difference from the
// reference could flip an activation and visibly change what the model
// generates.
//
// In GPU blocks a task is one (row, query head): the threads share the cache
// positions for the scores, which stay in shared memory, then the reductions
// of the softmax, then the columns of the head for the weighted sum.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/model/ModelPatterns.h"
#include "compiler/lowering/model/VectorLoops.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "llvm/ADT/bit.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace tern {
namespace {

Value zeroVector(PatternRewriter &rewriter, Location loc, VectorType type) {
  return arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(type));
}

/// The sums across the lanes of `vectors`, whose count is a multiple of
/// their width w (a power of two): lane l of result v is the sum of vector
/// v * w + l. Each level pairs the vectors and adds the first and the second
/// half of every input's partial sums (two shuffles and an add a pair), so
/// all the sums take about three operations each, not 2 log2(w).
SmallVector<Value> sumAcrossLanes(PatternRewriter &rewriter, Location loc, ArrayRef<Value> vectors) {
  int64_t width = cast<VectorType>(vectors.front().getType()).getNumElements();
  SmallVector<Value> level(vectors);
  for (int64_t partials = width; partials > 1; partials /= 2) {
    // Each input of a pair holds width / partials vectors' partial sums.
    SmallVector<int64_t> firstHalves, secondHalves;
    for (int64_t from = 0; from < 2 * width; from += partials)
      for (int64_t l = 0; l < partials / 2; ++l) {
        firstHalves.push_back(from + l);
        secondHalves.push_back(from + partials / 2 + l);
      }
    SmallVector<Value> next;
    for (size_t v = 0; v < level.size(); v += 2)
      next.push_back(arith::AddFOp::create(
          rewriter, loc, vector::ShuffleOp::create(rewriter, loc, level[v], level[v + 1], firstHalves),
          vector::ShuffleOp::create(rewriter, loc, level[v], level[v + 1], secondHalves)));
    level = std::move(next);
  }
  return level;
}

struct AttentionLowering final : ModelOpLowering<AttentionOp> {
  using ModelOpLowering::ModelOpLowering;

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, style);
    int64_t heads = static_cast<int64_t>(op.getNumHeads());
    int64_t kvHeads = static_cast<int64_t>(op.getNumKvHeads());
    int64_t d = static_cast<int64_t>(op.getHeadDim());
    int64_t group = heads / kvHeads;
    int64_t context = op.getKCache().getType().getDimSize(1);
    Type cacheElement = op.getKCache().getType().getElementType();
    Value rows = rowCount(rewriter, loc, op.getQ());
    Value position = op.getPosition();

    // Append this step's keys and values at [position, position + rows).
    loops.parallel(rows, [&](Value i) {
      Value row = arith::AddIOp::create(rewriter, loc, position, i);
      for (auto sourceAndCache : {std::pair{op.getK(), op.getKCache()}, {op.getV(), op.getVCache()}})
        for (int64_t h = 0; h < kvHeads; ++h) {
          Value source = sourceAndCache.first, cache = sourceAndCache.second;
          loops.forEach(loops.index(0), loops.index(d), rewriter.getF32Type(),
                        [&](Value c, VectorType type) {
                          Value v = loops.loadF32(
                              source, {i, arith::AddIOp::create(rewriter, loc, c, loops.index(h * d))},
                              type);
                          if (!cacheElement.isF32())
                            v = arith::TruncFOp::create(
                                rewriter, loc, VectorType::get(type.getShape(), cacheElement), v);
                          vector::StoreOp::create(rewriter, loc, v, cache,
                                                  ValueRange{loops.index(h), row, c});
                        });
        }
    });

    if (loops.inBlocks()) {
      if (failed(attendInBlocks(op, rewriter, loops)))
        return failure();
      rewriter.eraseOp(op);
      return success();
    }
    Type f64 = rewriter.getF64Type();
    int64_t slice = loops.lanesFor(f64);
    while (d % slice != 0)
      slice /= 2;
    auto sliceType = VectorType::get({slice}, f64);
    auto f64Constant = [&](double v) -> Value {
      return arith::ConstantOp::create(rewriter, loc, rewriter.getF64FloatAttr(v));
    };
    Value root = f64Constant(std::sqrt(static_cast<double>(d)));
    auto contract = arith::FastMathFlags::contract;

    int64_t slices = d / slice;
    // Keys a step of the scores' pass: as many accumulators as half the
    // registers, a power of two that divides the slice.
    int64_t keysPerStep = std::min<int64_t>(slice, llvm::bit_floor<uint64_t>(
                                                       std::max<int64_t>(1, loops.registers() / 2 / group)));
    loops.parallel(arith::MulIOp::create(rewriter, loc, rows, loops.index(kvHeads)), [&](Value task) {
      // KV head major: consecutive tasks read the same head's cache, which
      // then stays in L2 (the whole cache does not for long prompts), and
      // each thread's share of tasks holds short and long rows alike.
      Value i = arith::RemUIOp::create(rewriter, loc, task, rows);
      Value kvHead = arith::DivUIOp::create(rewriter, loc, task, rows);
      Value firstHead = arith::MulIOp::create(rewriter, loc, kvHead, loops.index(group));
      Value length = arith::AddIOp::create(
          rewriter, loc, arith::AddIOp::create(rewriter, loc, position, i), loops.index(1));
      // Per task, static so tern-outline-parallel gives each thread one: the
      // group's queries in f64 and its scores.
      Value queries = memref::AllocaOp::create(rewriter, loc, MemRefType::get({group, d}, f64));
      Value scores = memref::AllocaOp::create(rewriter, loc, MemRefType::get({group, context}, f64));
      SmallVector<Value> headIndex, qColumn;
      for (int64_t t = 0; t < group; ++t) {
        headIndex.push_back(loops.index(t));
        qColumn.push_back(arith::MulIOp::create(
            rewriter, loc, arith::AddIOp::create(rewriter, loc, firstHead, headIndex[t]), loops.index(d)));
        for (int64_t s = 0; s < slices; ++s) {
          Value q = loops.loadAs(op.getQ(),
                                 {i, arith::AddIOp::create(rewriter, loc, qColumn[t], loops.index(s * slice))},
                                 sliceType);
          vector::StoreOp::create(rewriter, loc, q, queries, ValueRange{headIndex[t], loops.index(s * slice)});
        }
      }

      // Columns [from, to) of the cache row of this head kPrefetchRows
      // positions on (the last row near the end): a task starts its streams
      // cold, and each pass is short. Each pass over the values prefetches
      // only the slices it reads.
      Value lastRow = arith::SubIOp::create(rewriter, loc, length, loops.index(1));
      auto prefetchRow = [&](Value cache, Value j, int64_t from, int64_t to) {
        Value ahead = arith::MinUIOp::create(
            rewriter, loc, arith::AddIOp::create(rewriter, loc, j, loops.index(kPrefetchRows)), lastRow);
        int64_t perLine = 64 / (cacheElement.getIntOrFloatBitWidth() / 8);
        for (int64_t c = from / perLine * perLine; c < to; c += perLine)
          memref::PrefetchOp::create(rewriter, loc, cache, ValueRange{kvHead, ahead, loops.index(c)},
                                     /*isWrite=*/false, /*localityHint=*/3, /*isDataCache=*/true);
      };

      // Scores, divided by sqrt(d): one pass over the keys for the whole
      // group, keysPerStep keys a step, then one at a time.
      auto scoreKeys = [&](Value first, int64_t keys) {
        SmallVector<Value> rowsOfKeys;
        for (int64_t key = 0; key < keys; ++key) {
          rowsOfKeys.push_back(arith::AddIOp::create(rewriter, loc, first, loops.index(key)));
          prefetchRow(op.getKCache(), rowsOfKeys.back(), 0, d);
        }
        // dots[t * keys + key]: lanes of partial sums of query t with the key.
        SmallVector<Value> dots(group * keys, zeroVector(rewriter, loc, sliceType));
        for (int64_t s = 0; s < slices; ++s) {
          SmallVector<Value> k;
          for (Value j : rowsOfKeys)
            k.push_back(loops.loadAs(op.getKCache(), {kvHead, j, loops.index(s * slice)}, sliceType));
          for (int64_t t = 0; t < group; ++t) {
            Value q = vector::LoadOp::create(rewriter, loc, sliceType, queries,
                                             ValueRange{headIndex[t], loops.index(s * slice)});
            // Products of f32 values are exact in f64, so fusing them into
            // the sums (where the target has FMA) changes no result.
            for (int64_t key = 0; key < keys; ++key) {
              Value &dot = dots[t * keys + key];
              dot = arith::AddFOp::create(
                  rewriter, loc, dot, arith::MulFOp::create(rewriter, loc, q, k[key], contract), contract);
            }
          }
        }
        // Any order of the f64 sums rounds to the same f32 but at ties.
        if ((group * keys) % slice != 0) {
          for (int64_t t = 0; t < group; ++t)
            for (int64_t key = 0; key < keys; ++key) {
              Value dot = vector::ReductionOp::create(rewriter, loc, vector::CombiningKind::ADD,
                                                      dots[t * keys + key], arith::FastMathFlags::reassoc);
              memref::StoreOp::create(rewriter, loc, arith::DivFOp::create(rewriter, loc, dot, root),
                                      scores, ValueRange{headIndex[t], rowsOfKeys[key]});
            }
          return;
        }
        // Lane l of sum vector v is dot v * slice + l: runs of `keys` lanes
        // are one query's scores of consecutive keys.
        SmallVector<Value> sums = sumAcrossLanes(rewriter, loc, dots);
        for (auto [v, sum] : llvm::enumerate(sums)) {
          Value scaled = arith::DivFOp::create(rewriter, loc, sum, loops.splat(root, sliceType));
          for (int64_t lane = 0; lane < slice; lane += keys) {
            int64_t t = (static_cast<int64_t>(v) * slice + lane) / keys;
            Value run = vector::ExtractStridedSliceOp::create(rewriter, loc, scaled, ArrayRef<int64_t>{lane},
                                                              ArrayRef<int64_t>{keys}, ArrayRef<int64_t>{1});
            vector::StoreOp::create(rewriter, loc, run, scores, ValueRange{headIndex[t], first});
          }
        }
      };
      Value stepped = arith::SubIOp::create(
          rewriter, loc, length, arith::RemUIOp::create(rewriter, loc, length, loops.index(keysPerStep)));
      {
        auto keyLoop = scf::ForOp::create(rewriter, loc, loops.index(0), stepped, loops.index(keysPerStep));
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(keyLoop.getBody());
        scoreKeys(keyLoop.getInductionVar(), keysPerStep);
      }
      loops.loop(stepped, length, [&](Value j) { scoreKeys(j, 1); });

      // The softmax's exponentials and their sums; the weighted sums below
      // are divided by those.
      SmallVector<Value> totals;
      for (int64_t t = 0; t < group; ++t) {
        auto load = [&](Value j, VectorType type) -> Value {
          return vector::LoadOp::create(rewriter, loc, type, scores, ValueRange{headIndex[t], j});
        };
        Value maximum = loops.reduce(loops.index(0), length, vector::CombiningKind::MAXIMUMF,
                                     -std::numeric_limits<double>::infinity(), f64, load);
        totals.push_back(loops.reduce(
            loops.index(0), length, vector::CombiningKind::ADD, 0.0, f64,
            [&](Value j, VectorType type) -> Value {
              Value e = loops.expF64(
                  arith::SubFOp::create(rewriter, loc, load(j, type), loops.splat(maximum, type)));
              vector::StoreOp::create(rewriter, loc, e, scores, ValueRange{headIndex[t], j});
              return e;
            }));
      }

      // The sums of the cached values weighted by the exponentials, for the
      // whole group in each pass over them (each value read and widened once
      // for all its query heads), as many slices of the head a pass as half
      // the registers hold; then divided by the exponentials' sum once each.
      int64_t perPass = std::max<int64_t>(1, loops.registers() / 2 / group);
      for (int64_t first = 0; first < slices; first += perPass) {
        int64_t count = std::min(perPass, slices - first);
        auto weighted =
            scf::ForOp::create(rewriter, loc, loops.index(0), length, loops.index(1),
                               SmallVector<Value>(group * count, zeroVector(rewriter, loc, sliceType)));
        {
          OpBuilder::InsertionGuard guard(rewriter);
          rewriter.setInsertionPointToStart(weighted.getBody());
          Value j = weighted.getInductionVar();
          prefetchRow(op.getVCache(), j, first * slice, (first + count) * slice);
          SmallVector<Value> values;
          for (int64_t s = 0; s < count; ++s)
            values.push_back(
                loops.loadAs(op.getVCache(), {kvHead, j, loops.index((first + s) * slice)}, sliceType));
          SmallVector<Value> next;
          for (int64_t t = 0; t < group; ++t) {
            Value p = loops.splat(
                memref::LoadOp::create(rewriter, loc, scores, ValueRange{headIndex[t], j}), sliceType);
            for (int64_t s = 0; s < count; ++s)
              next.push_back(arith::AddFOp::create(
                  rewriter, loc, weighted.getRegionIterArgs()[t * count + s],
                  arith::MulFOp::create(rewriter, loc, p, values[s], contract), contract));
          }
          scf::YieldOp::create(rewriter, loc, next);
        }
        for (int64_t t = 0; t < group; ++t)
          for (int64_t s = 0; s < count; ++s) {
            Value column = arith::AddIOp::create(rewriter, loc, qColumn[t],
                                                 loops.index((first + s) * slice));
            Value y = arith::TruncFOp::create(
                rewriter, loc, VectorType::get({slice}, rewriter.getF32Type()),
                arith::DivFOp::create(rewriter, loc, weighted.getResult(t * count + s),
                                      loops.splat(totals[t], sliceType)));
            vector::StoreOp::create(rewriter, loc, y, op.getOut(), ValueRange{i, column});
          }
      }
    });
    rewriter.eraseOp(op);
    return success();
  }

  // Positions ahead whose cache rows a CPU task prefetches: DRAM's latency
  // is some hundreds of cycles, a position's work tens.
  static constexpr int64_t kPrefetchRows = 8;

  // Shared memory a block may have without opting in to more (48 KiB), less
  // what the reductions use.
  static constexpr int64_t kMaxScoreBytes = 40 << 10;

  LogicalResult attendInBlocks(AttentionOp op, PatternRewriter &rewriter, VectorLoops &loops) const {
    Location loc = op.getLoc();
    int64_t heads = static_cast<int64_t>(op.getNumHeads());
    int64_t group = heads / static_cast<int64_t>(op.getNumKvHeads());
    int64_t d = static_cast<int64_t>(op.getHeadDim());
    int64_t context = op.getKCache().getType().getDimSize(1);
    Type f64 = rewriter.getF64Type();
    if (style.gpu && context * 8 > kMaxScoreBytes)
      return op.emitOpError() << "on a GPU keeps a query's scores in shared memory, room for "
                              << kMaxScoreBytes / 8 << " cache positions; this KV cache has "
                              << context << " (compile with a smaller --context)";
    Value root = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getF64FloatAttr(std::sqrt(static_cast<double>(d))));
    auto widen = [&](Value memref, ValueRange indices) -> Value {
      Value x = memref::LoadOp::create(rewriter, loc, memref, indices);
      return arith::ExtFOp::create(rewriter, loc, f64, x, arith::FastMathFlagsAttr());
    };
    auto add = [&](Value a, Value b) { return arith::AddIOp::create(rewriter, loc, a, b); };
    // The terms of j in [0, length) added in order, by one thread.
    auto sum = [&](Value length, function_ref<Value(Value)> term) -> Value {
      Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getF64FloatAttr(0.0));
      auto loop = scf::ForOp::create(rewriter, loc, loops.index(0), length, loops.index(1), ValueRange{zero});
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(loop.getBody());
      Value next = arith::AddFOp::create(rewriter, loc, loop.getRegionIterArgs()[0], term(loop.getInductionVar()));
      scf::YieldOp::create(rewriter, loc, next);
      return loop.getResult(0);
    };
    Value rows = rowCount(rewriter, loc, op.getQ());
    loops.parallel(arith::MulIOp::create(rewriter, loc, rows, loops.index(heads)), [&](Value task) {
      Value i = arith::DivUIOp::create(rewriter, loc, task, loops.index(heads));
      Value head = arith::RemUIOp::create(rewriter, loc, task, loops.index(heads));
      Value qColumn = arith::MulIOp::create(rewriter, loc, head, loops.index(d));
      Value kvHead = arith::DivUIOp::create(rewriter, loc, head, loops.index(group));
      Value length = add(add(op.getPosition(), i), loops.index(1));
      Value scores = loops.blockBuffer("tern_attention_scores", f64, context);
      loops.distribute(loops.index(0), length, [&](Value j) {
        Value dot = sum(loops.index(d), [&](Value c) {
          return arith::MulFOp::create(rewriter, loc, widen(op.getQ(), {i, add(qColumn, c)}),
                                       widen(op.getKCache(), {kvHead, j, c}));
        });
        memref::StoreOp::create(rewriter, loc, arith::DivFOp::create(rewriter, loc, dot, root), scores,
                                ValueRange{j});
      });
      auto load = [&](Value j, VectorType type) -> Value {
        return vector::LoadOp::create(rewriter, loc, type, scores, ValueRange{j});
      };
      Value maximum = loops.reduce(loops.index(0), length, vector::CombiningKind::MAXIMUMF,
                                   -std::numeric_limits<double>::infinity(), f64, load);
      Value total = loops.reduce(loops.index(0), length, vector::CombiningKind::ADD, 0.0, f64,
                                 [&](Value j, VectorType type) -> Value {
                                   Value e = loops.expF64(arith::SubFOp::create(
                                       rewriter, loc, load(j, type), loops.splat(maximum, type)));
                                   vector::StoreOp::create(rewriter, loc, e, scores, ValueRange{j});
                                   return e;
                                 });
      // The probabilities once, not once per column.
      loops.distribute(loops.index(0), length, [&](Value j) {
        Value e = memref::LoadOp::create(rewriter, loc, scores, ValueRange{j});
        memref::StoreOp::create(rewriter, loc, arith::DivFOp::create(rewriter, loc, e, total), scores,
                                ValueRange{j});
      });
      loops.distribute(loops.index(0), loops.index(d), [&](Value c) {
        Value weighted = sum(length, [&](Value j) {
          Value p = memref::LoadOp::create(rewriter, loc, scores, ValueRange{j});
          return arith::MulFOp::create(rewriter, loc, p, widen(op.getVCache(), {kvHead, j, c}));
        });
        memref::StoreOp::create(rewriter, loc,
                                arith::TruncFOp::create(rewriter, loc, rewriter.getF32Type(), weighted),
                                op.getOut(), ValueRange{i, add(qColumn, c)});
      });
    });
    return success();
  }
};

} // namespace

void populateAttentionLoweringPatterns(RewritePatternSet &patterns, LoopStyle style) {
  patterns.add<AttentionLowering>(patterns.getContext(), style);
}

} // namespace tern
