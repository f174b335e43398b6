//===- DecomposeBitLinear.cpp - bitlinear to quantize + matmul ------------===//
#include "compiler/transforms/Passes.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNDECOMPOSEBITLINEAR
#include "compiler/transforms/Passes.h.inc"

namespace {

struct DecomposeBitLinear final : OpRewritePattern<BitLinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BitLinearOp op, PatternRewriter &rewriter) const override {
    std::optional<KernelAttr> kernel = op.getKernel();
    if (!kernel)
      return rewriter.notifyMatchFailure(op, "no kernel chosen yet (run tern-assign-kernels)");
    Location loc = op.getLoc();
    MemRefType x = op.getX().getType();
    SmallVector<Value> dynamicRows;
    if (x.isDynamicDim(0))
      dynamicRows.push_back(memref::DimOp::create(rewriter, loc, op.getX(), 0));
    Value quantized = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(x.getShape(), rewriter.getI8Type()), dynamicRows);
    Value scales = memref::AllocOp::create(
        rewriter, loc, MemRefType::get({x.getDimSize(0)}, rewriter.getF32Type()), dynamicRows);
    QuantizeOp::create(rewriter, loc, op.getX(), quantized, scales);
    auto matmul = rewriter.replaceOpWithNewOp<MatmulOp>(op, quantized, scales, op.getWeight(),
                                                        op.getWeightScale(), op.getOut(), *kernel);
    // Why the kernel was chosen, for ternc --kernel-report.
    if (Attribute reason = op->getAttr("tern.kernel_reason"))
      matmul->setAttr("tern.kernel_reason", reason);
    return success();
  }
};

struct TernDecomposeBitLinearPass final
    : impl::TernDecomposeBitLinearBase<TernDecomposeBitLinearPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeBitLinear>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult left = getOperation().walk([](BitLinearOp op) {
      op.emitOpError("has no kernel; run tern-assign-kernels first");
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
} // namespace tern
