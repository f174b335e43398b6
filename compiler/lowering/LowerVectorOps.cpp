//===- LowerVectorOps.cpp - tern.vdot/lookup16 to target instructions ----===//
#include "compiler/lowering/Passes.h"
#include "targets/Target.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ArmNeon/ArmNeonDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNLOWERVECTOROPS
#include "compiler/lowering/Passes.h.inc"

namespace {

/// acc[i] + sum_j zext(lhs[Gi+j]) * sext(rhs[Gi+j]) with widening arithmetic
/// in the accumulator's type: correct everywhere, fast nowhere; targets
/// override it.
struct GenericVdot final : OpRewritePattern<VdotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(VdotOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType accType = op.getAcc().getType();
    int64_t lanes = accType.getNumElements(), group = op.getGroupSize();
    auto wide = VectorType::get({group * lanes}, accType.getElementType());
    Value lhs = arith::ExtUIOp::create(rewriter, loc, wide, op.getLhs());
    Value rhs = arith::ExtSIOp::create(rewriter, loc, wide, op.getRhs());
    Value products = arith::MulIOp::create(rewriter, loc, lhs, rhs);
    Value sum = op.getAcc();
    for (int64_t j = 0; j < group; ++j) {
      SmallVector<int64_t> positions;
      for (int64_t i = 0; i < lanes; ++i)
        positions.push_back(group * i + j);
      Value part = vector::ShuffleOp::create(rewriter, loc, products, products, positions);
      sum = arith::AddIOp::create(rewriter, loc, sum, part);
    }
    rewriter.replaceOp(op, sum);
    return success();
  }
};

/// table[indices] as a select per table entry: correct everywhere, for
/// targets without a byte shuffle.
struct GenericLookup16 final : OpRewritePattern<Lookup16Op> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Lookup16Op op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType type = op.getType();
    Value result = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(type));
    for (int64_t e = 0; e < 16; ++e) {
      Value entry = vector::BroadcastOp::create(
          rewriter, loc, type, vector::ExtractOp::create(rewriter, loc, op.getTable(), ArrayRef<int64_t>{e}));
      Value key = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(type, rewriter.getI8IntegerAttr(e).getValue()));
      Value hit = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, op.getIndices(), key);
      result = arith::SelectOp::create(rewriter, loc, hit, entry, result);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct TernLowerVectorOpsPass final : impl::TernLowerVectorOpsBase<TernLowerVectorOpsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    RewritePatternSet patterns(&getContext());
    if (module->hasAttr("tern.target")) {
      llvm::Expected<TargetDesc> target = getModuleTarget(module);
      if (!target) {
        module.emitError(llvm::toString(target.takeError()));
        return signalPassFailure();
      }
      lookupTargetBackend(target->arch)->populateVectorOpPatterns(*target, patterns);
    }
    patterns.add<GenericVdot, GenericLookup16>(&getContext(), /*benefit=*/1);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tern
