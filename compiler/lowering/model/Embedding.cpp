//===- Embedding.cpp - the token table: lookup and tied output head -------===//
#include "compiler/lowering/model/ModelPatterns.h"
#include "compiler/lowering/model/VectorLoops.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

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

/// logits[r, v] = x[r, :] . table[v, :]; blocks of vocabulary entries run in
/// parallel, each table row is read once for all rows of x. The table is the
/// largest read of a decode step and streams from DRAM: while a row is
/// summed, the same columns of the row about kPrefetchBytes further on are
/// prefetched. On the Intel Xeon VM (hidden 2560, bf16: 5 KiB rows), 1 row
/// ahead gave 2% more decode tokens/s, 4 rows ahead 20%, 8 as much, 16 a
/// little less (README).
struct LmHeadLowering final : ModelOpLowering<LmHeadOp> {
  LmHeadLowering(MLIRContext *ctx, LoopStyle style, int prefetchLocality)
      : ModelOpLowering(ctx, style), prefetchLocality(prefetchLocality) {}
  static constexpr int64_t kEntriesPerTask = 16;
  static constexpr int64_t kPrefetchBytes = 16 << 10;
  int prefetchLocality;

  LogicalResult matchAndRewrite(LmHeadOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, style);
    MemRefType table = op.getTable().getType();
    int64_t vocab = table.getDimSize(0), cols = table.getDimSize(1);
    Value rows = rowCount(rewriter, loc, op.getX());
    int64_t tasks = (vocab + kEntriesPerTask - 1) / kEntriesPerTask;
    int64_t rowBytes = cols * table.getElementTypeBitWidth() / 8;
    int64_t rowsAhead = (kPrefetchBytes + rowBytes - 1) / rowBytes;
    loops.parallel(loops.index(tasks), [&](Value task) {
      Value first = arith::MulIOp::create(rewriter, loc, task, loops.index(kEntriesPerTask));
      Value last = arith::MinUIOp::create(
          rewriter, loc, arith::AddIOp::create(rewriter, loc, first, loops.index(kEntriesPerTask)),
          loops.index(vocab));
      loops.loop(first, last, [&](Value v) {
        loops.loop(loops.index(0), rows, [&](Value r) {
          Value next = arith::MinUIOp::create(
              rewriter, loc, arith::AddIOp::create(rewriter, loc, v, loops.index(rowsAhead)),
              loops.index(vocab - 1));
          Value dot = loops.reduce(loops.index(0), loops.index(cols), vector::CombiningKind::ADD, 0.0f,
                                   [&](Value j, VectorType type) -> Value {
                                     if (type.getNumElements() > 1)
                                       memref::PrefetchOp::create(rewriter, loc, op.getTable(),
                                                                  ValueRange{next, j},
                                                                  /*isWrite=*/false, prefetchLocality,
                                                                  /*isDataCache=*/true);
                                     return arith::MulFOp::create(
                                         rewriter, loc, loops.loadF32(op.getX(), {r, j}, type),
                                         loops.loadF32(op.getTable(), {v, j}, type));
                                   });
          memref::StoreOp::create(rewriter, loc, dot, op.getLogits(), ValueRange{r, v});
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
