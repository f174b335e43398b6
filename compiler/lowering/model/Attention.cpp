//===- Attention.cpp - causal grouped-query attention over the KV cache ---===//
//
// The new keys and values are appended to the caches, then every (row, query
// head) pair is an independent task: scores against the cached keys of its
// KV head up to its own position, a softmax (max-subtracted, exponentials by
// polynomial approximation), and the weighted sum of cached values with one
// vector accumulator per slice of the head.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/model/ModelPatterns.h"
#include "compiler/lowering/model/VectorLoops.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <cmath>
#include <limits>

using namespace mlir;

namespace tern {
namespace {

struct AttentionLowering final : ModelOpLowering<AttentionOp> {
  using ModelOpLowering::ModelOpLowering;

  LogicalResult matchAndRewrite(AttentionOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, lanes);
    int64_t heads = static_cast<int64_t>(op.getNumHeads());
    int64_t kvHeads = static_cast<int64_t>(op.getNumKvHeads());
    int64_t d = static_cast<int64_t>(op.getHeadDim());
    int64_t kvDim = kvHeads * d, group = heads / kvHeads;
    int64_t context = op.getKCache().getType().getDimSize(0);
    Type cacheElement = op.getKCache().getType().getElementType();
    Value rows = rowCount(rewriter, loc, op.getQ());
    Value position = op.getPosition();

    // Append this step's keys and values at [position, position + rows).
    loops.loop(loops.index(0), rows, [&](Value i) {
      Value row = arith::AddIOp::create(rewriter, loc, position, i);
      for (auto [source, cache] : {std::pair{op.getK(), op.getKCache()}, {op.getV(), op.getVCache()}})
        loops.forEach(loops.index(0), loops.index(kvDim), rewriter.getF32Type(),
                      [&](Value j, VectorType type) {
                        Value v = loops.loadF32(source, {i, j}, type);
                        if (!cacheElement.isF32())
                          v = arith::TruncFOp::create(
                              rewriter, loc, VectorType::get(type.getShape(), cacheElement), v);
                        vector::StoreOp::create(rewriter, loc, v, cache, ValueRange{row, j});
                      });
    });

    // A head's slices: the widest vector not wider than the target's that
    // divides the head dimension.
    int64_t slice = lanes;
    while (d % slice != 0)
      slice /= 2;
    VectorLoops headLoops(rewriter, loc, slice);
    auto sliceType = VectorType::get({slice}, rewriter.getF32Type());
    Value scale = loops.f32(static_cast<float>(1.0 / std::sqrt(static_cast<double>(d))));

    loops.parallel(arith::MulIOp::create(rewriter, loc, rows, loops.index(heads)), [&](Value task) {
      Value i = arith::DivUIOp::create(rewriter, loc, task, loops.index(heads));
      Value h = arith::RemUIOp::create(rewriter, loc, task, loops.index(heads));
      Value kvHead = arith::DivUIOp::create(rewriter, loc, h, loops.index(group));
      Value qColumn = arith::MulIOp::create(rewriter, loc, h, loops.index(d));
      Value kColumn = arith::MulIOp::create(rewriter, loc, kvHead, loops.index(d));
      Value length = arith::AddIOp::create(
          rewriter, loc, arith::AddIOp::create(rewriter, loc, position, i), loops.index(1));
      // Static, so tern-outline-parallel gives each thread one buffer.
      Value scores = memref::AllocaOp::create(
          rewriter, loc, MemRefType::get({context}, rewriter.getF32Type()));

      loops.loop(loops.index(0), length, [&](Value j) {
        Value dot = headLoops.reduce(
            loops.index(0), loops.index(d), vector::CombiningKind::ADD, 0.0f,
            [&](Value c, VectorType type) -> Value {
              Value q = loops.loadF32(op.getQ(), {i, arith::AddIOp::create(rewriter, loc, qColumn, c)}, type);
              Value k = loops.loadF32(op.getKCache(),
                                      {j, arith::AddIOp::create(rewriter, loc, kColumn, c)}, type);
              return arith::MulFOp::create(rewriter, loc, q, k);
            });
        memref::StoreOp::create(rewriter, loc, arith::MulFOp::create(rewriter, loc, dot, scale),
                                scores, ValueRange{j});
      });
      Value maximum = loops.reduce(loops.index(0), length, vector::CombiningKind::MAXIMUMF,
                                   -std::numeric_limits<float>::infinity(),
                                   [&](Value j, VectorType type) -> Value {
                                     return vector::LoadOp::create(rewriter, loc, type, scores,
                                                                   ValueRange{j});
                                   });
      Value total = loops.reduce(
          loops.index(0), length, vector::CombiningKind::ADD, 0.0f,
          [&](Value j, VectorType type) -> Value {
            Value s = vector::LoadOp::create(rewriter, loc, type, scores, ValueRange{j});
            Value e = math::ExpOp::create(
                rewriter, loc, arith::SubFOp::create(rewriter, loc, s, loops.splat(maximum, type)));
            vector::StoreOp::create(rewriter, loc, e, scores, ValueRange{j});
            return e;
          });
      Value inverse = arith::DivFOp::create(rewriter, loc, loops.f32(1.0f), total);

      int64_t slices = d / slice;
      Value zero = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(sliceType, rewriter.getF32FloatAttr(0).getValue()));
      auto weighted = scf::ForOp::create(rewriter, loc, loops.index(0), length, loops.index(1),
                                         SmallVector<Value>(slices, zero));
      {
        OpBuilder::InsertionGuard guard(rewriter);
        rewriter.setInsertionPointToStart(weighted.getBody());
        Value j = weighted.getInductionVar();
        Value p = loops.splat(memref::LoadOp::create(rewriter, loc, scores, ValueRange{j}), sliceType);
        SmallVector<Value> next;
        for (int64_t s = 0; s < slices; ++s) {
          Value column = arith::AddIOp::create(rewriter, loc, kColumn, loops.index(s * slice));
          Value v = loops.loadF32(op.getVCache(), {j, column}, sliceType);
          next.push_back(vector::FMAOp::create(rewriter, loc, p, v, weighted.getRegionIterArgs()[s]));
        }
        scf::YieldOp::create(rewriter, loc, next);
      }
      for (int64_t s = 0; s < slices; ++s) {
        Value column = arith::AddIOp::create(rewriter, loc, qColumn, loops.index(s * slice));
        Value y = arith::MulFOp::create(rewriter, loc, weighted.getResult(s),
                                        loops.splat(inverse, sliceType));
        vector::StoreOp::create(rewriter, loc, y, op.getOut(), ValueRange{i, column});
      }
    });
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateAttentionLoweringPatterns(RewritePatternSet &patterns, int64_t lanes) {
  patterns.add<AttentionLowering>(patterns.getContext(), lanes);
}

} // namespace tern
