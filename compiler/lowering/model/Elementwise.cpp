//===- Elementwise.cpp - relu2, mul and add -------------------------------===//
#include "compiler/lowering/model/ModelPatterns.h"
#include "compiler/lowering/model/VectorLoops.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tern {

Value rowCount(OpBuilder &b, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  if (!type.isDynamicDim(0))
    return arith::ConstantIndexOp::create(b, loc, type.getDimSize(0));
  return memref::DimOp::create(b, loc, memref, 0);
}

namespace {

/// out[i, j] = f(inputs[i, j]...), rows in parallel. In place is fine: every
/// element is read before it is written.
template <typename OpTy>
struct ElementwiseLowering final : ModelOpLowering<OpTy> {
  using ModelOpLowering<OpTy>::ModelOpLowering;

  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, this->style);
    Value out = op.getOut();
    int64_t cols = cast<MemRefType>(out.getType()).getDimSize(1);
    SmallVector<Value> inputs(op->getOperands().drop_back());
    loops.parallel(rowCount(rewriter, loc, out), [&](Value i) {
      loops.forEach(loops.index(0), loops.index(cols), rewriter.getF32Type(),
                    [&](Value j, VectorType type) {
                      SmallVector<Value> values;
                      for (Value input : inputs)
                        values.push_back(loops.loadF32(input, {i, j}, type));
                      vector::StoreOp::create(rewriter, loc, apply(rewriter, loc, values), out,
                                              ValueRange{i, j});
                    });
    });
    rewriter.eraseOp(op);
    return success();
  }

  static Value apply(OpBuilder &b, Location loc, ArrayRef<Value> v) {
    if constexpr (std::is_same_v<OpTy, Relu2Op>) {
      Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(v[0].getType()));
      Value r = arith::MaximumFOp::create(b, loc, v[0], zero);
      return arith::MulFOp::create(b, loc, r, r);
    } else if constexpr (std::is_same_v<OpTy, MulOp>) {
      return arith::MulFOp::create(b, loc, v[0], v[1]);
    } else {
      return arith::AddFOp::create(b, loc, v[0], v[1]);
    }
  }
};

} // namespace

void populateElementwiseLoweringPatterns(RewritePatternSet &patterns, LoopStyle style) {
  patterns.add<ElementwiseLowering<Relu2Op>, ElementwiseLowering<MulOp>, ElementwiseLowering<AddOp>>(
      patterns.getContext(), style);
}

} // namespace tern
