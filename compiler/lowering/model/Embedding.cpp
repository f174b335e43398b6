//===- Embedding.cpp - the token table: lookup and tied output head -------===//
#include "compiler/lowering/model/ModelPatterns.h"
#include "compiler/lowering/model/VectorLoops.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace tern {
namespace {

/// out[i, :] = f32(table[tokens[i], :]).
struct EmbedLowering final : ModelOpLowering<EmbedOp> {
  using ModelOpLowering::ModelOpLowering;
  LogicalResult matchAndRewrite(EmbedOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, style);
    int64_t cols = op.getTable().getType().getDimSize(1);
    loops.parallel(rowCount(rewriter, loc, op.getOut()), [&](Value i) {
      Value token = arith::IndexCastOp::create(
          rewriter, loc, rewriter.getIndexType(),
          memref::LoadOp::create(rewriter, loc, op.getTokens(), ValueRange{i}));
      loops.forEach(loops.index(0), loops.index(cols), rewriter.getF32Type(),
                    [&](Value j, VectorType type) {
                      vector::StoreOp::create(rewriter, loc,
                                              loops.loadF32(op.getTable(), {token, j}, type),
                                              op.getOut(), ValueRange{i, j});
                    });
    });
    rewriter.eraseOp(op);
    return success();
  }
};

/// logits[r, v] = x[r, :] . table[v, :] (times row_scale[v] for an int8
/// table, a byte an entry instead of bf16's two); blocks of vocabulary entries run in
/// parallel, each table row is read once for all rows of x. The table is the
/// largest read of a decode step and streams from DRAM. On CPUs the
/// vocabulary is cut into kStreams ranges and a task sums entries of every
/// range side by side, so that each thread reads kStreams sequential streams
/// (reading the 128256 x 2560 bf16 table on 2 threads here: 25.2 GB/s in one
/// stream a thread, 28.3 in 4). While rows are summed, the same columns of
/// the rows kPrefetchBytes further on in all streams are prefetched. On the
/// Intel Xeon VM (hidden 2560, bf16: 5 KiB rows), in one stream 1 row ahead
/// gave 2% more decode tokens/s, 4 rows ahead 20%, 8 as much, 16 a little
/// less (README).
struct LmHeadLowering final : ModelOpLowering<LmHeadOp> {
  LmHeadLowering(MLIRContext *ctx, LoopStyle style, int prefetchLocality)
      : ModelOpLowering(ctx, style), prefetchLocality(prefetchLocality) {}
  static constexpr int64_t kEntriesPerTask = 16;
  static constexpr int64_t kStreams = 4;
  static constexpr int64_t kPrefetchBytes = 16 << 10;
  int prefetchLocality;

  LogicalResult matchAndRewrite(LmHeadOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, style);
    MemRefType table = op.getTable().getType();
    int64_t vocab = table.getDimSize(0), cols = table.getDimSize(1);
    Value rows = rowCount(rewriter, loc, op.getX());
    // GPU blocks reduce one row at a time.
    int64_t streams = loops.inBlocks() ? 1 : kStreams, perStream = kEntriesPerTask / streams;
    // Entries of each stream's range, whole tasks' worth.
    int64_t range = ((vocab + streams - 1) / streams + perStream - 1) / perStream * perStream;
    int64_t rowBytes = cols * table.getElementTypeBitWidth() / 8;
    int64_t rowsAhead = (kPrefetchBytes / streams + rowBytes - 1) / rowBytes;
    auto clamp = [&](Value v) {
      return arith::MinUIOp::create(rewriter, loc, v, loops.index(vocab - 1)).getResult();
    };
    loops.parallel(loops.index(range / perStream), [&](Value task) {
      Value first = arith::MulIOp::create(rewriter, loc, task, loops.index(perStream));
      loops.loop(loops.index(0), loops.index(perStream), [&](Value i) {
        // Entry v_s of range s; the last range may end past the vocabulary,
        // where the (clamped) row is read but its logit not stored.
        SmallVector<Value> entries, tableRows, ahead;
        for (int64_t s = 0; s < streams; ++s) {
          Value v = arith::AddIOp::create(rewriter, loc, first,
                                          arith::AddIOp::create(rewriter, loc, i,
                                                                loops.index(s * range)));
          entries.push_back(v);
          tableRows.push_back(clamp(v));
          ahead.push_back(clamp(arith::AddIOp::create(rewriter, loc, v, loops.index(rowsAhead))));
        }
        loops.loop(loops.index(0), rows, [&](Value r) {
          auto products = [&](Value j, VectorType type) {
            Value x = loops.loadF32(op.getX(), {r, j}, type);
            SmallVector<Value> terms;
            for (int64_t s = 0; s < streams; ++s) {
              if (type.getNumElements() > 1)
                memref::PrefetchOp::create(rewriter, loc, op.getTable(), ValueRange{ahead[s], j},
                                           /*isWrite=*/false, prefetchLocality,
                                           /*isDataCache=*/true);
              terms.push_back(arith::MulFOp::create(
                  rewriter, loc, x, loops.loadF32(op.getTable(), {tableRows[s], j}, type)));
            }
            return terms;
          };
          Value begin = loops.index(0), end = loops.index(cols);
          SmallVector<Value> dots =
              streams > 1
                  ? loops.reduceEach(begin, end, vector::CombiningKind::ADD, 0.0f, streams, products)
                  : SmallVector<Value>{loops.reduce(begin, end, vector::CombiningKind::ADD, 0.0f,
                                                    [&](Value j, VectorType type) {
                                                      return products(j, type)[0];
                                                    })};
          for (int64_t s = 0; s < streams; ++s) {
            Value logit = dots[s];
            if (op.getRowScale())
              logit = arith::MulFOp::create(
                  rewriter, loc, logit,
                  memref::LoadOp::create(rewriter, loc, op.getRowScale(),
                                         ValueRange{tableRows[s]}));
            Value inside = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ult,
                                                 entries[s], loops.index(vocab));
            auto store = scf::IfOp::create(rewriter, loc, inside);
            OpBuilder::InsertionGuard guard(rewriter);
            rewriter.setInsertionPointToStart(store.thenBlock());
            memref::StoreOp::create(rewriter, loc, logit, op.getLogits(),
                                    ValueRange{r, entries[s]});
          }
        });
      });
    });
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateEmbeddingLoweringPatterns(RewritePatternSet &patterns, LoopStyle style,
                                       int tablePrefetchLocality) {
  patterns.add<EmbedLowering>(patterns.getContext(), style);
  patterns.add<LmHeadLowering>(patterns.getContext(), style, tablePrefetchLocality);
}

} // namespace tern
