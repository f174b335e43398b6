//===- LowerVectorOps.cpp - tern vector ops to target instructions --------===//
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

/// acc + the sign-extended halves of each 32-bit lane of `pairs`, by shifts:
/// correct everywhere; targets override it.
struct GenericAddPairs final : OpRewritePattern<AddPairsOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddPairsOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType accType = op.getAcc().getType();
    Value words = vector::BitCastOp::create(rewriter, loc, accType, op.getPairs());
    Value sixteen = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(accType, rewriter.getI32IntegerAttr(16).getValue()));
    Value low = arith::ShRSIOp::create(rewriter, loc,
                                       arith::ShLIOp::create(rewriter, loc, words, sixteen), sixteen);
    Value high = arith::ShRSIOp::create(rewriter, loc, words, sixteen);
    rewriter.replaceOpWithNewOp<arith::AddIOp>(
        op, op.getAcc(), arith::AddIOp::create(rewriter, loc, low, high));
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

/// ((packed >> 2 plane) & 3) + bias in byte operations: correct everywhere;
/// targets override it.
struct GenericUnpackI2 final : OpRewritePattern<UnpackI2Op> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnpackI2Op op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType type = op.getType();
    auto splat = [&](int64_t v) -> Value {
      return arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(type, rewriter.getI8IntegerAttr(v).getValue()));
    };
    Value code = op.getPacked();
    if (op.getPlane() > 0)
      code = arith::ShRUIOp::create(rewriter, loc, code, splat(2 * op.getPlane()));
    if (op.getPlane() < 3) // the top two bits need no mask
      code = arith::AndIOp::create(rewriter, loc, code, splat(3));
    if (op.getBias() != 0)
      code = arith::AddIOp::create(rewriter, loc, code, splat(static_cast<int64_t>(op.getBias())));
    rewriter.replaceOp(op, code);
    return success();
  }
};

/// tern.tdot by its definition: decode every plane's weights to {-1, 0, 1}
/// and multiply-add them in int32. What a ternary unit would do in one step
/// takes dozens here; it exists so that kernels written for such hardware
/// run, bit-exact, on the machines we have.
struct GenericTdot final : OpRewritePattern<TdotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TdotOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType accType = op.getAcc().getType();
    auto byteType = cast<VectorType>(op.getWeights().getType());
    int64_t lanes = accType.getNumElements();
    auto splat = [&](VectorType type, int64_t v) -> Value {
      return arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(type, rewriter.getIntegerAttr(type.getElementType(), v)));
    };
    auto wordType = VectorType::get({1}, rewriter.getI32Type());
    auto wideType = VectorType::get({4 * lanes}, rewriter.getI32Type());
    Value packed = op.getWeights(), sum = op.getAcc();
    for (int64_t plane = 0; plane < op.getPlanes(); ++plane) {
      Value digit; // in {0, 1, 2}
      if (op.getPacking() == Packing::i2) {
        digit = UnpackI2Op::create(rewriter, loc, byteType, packed, static_cast<uint64_t>(plane));
      } else {
        // x_s = 3^s x_0 mod 256; its digit is (x_s > 85) + (x_s > 170).
        Value x = packed;
        for (int64_t s = 0; s < plane; ++s)
          x = arith::MulIOp::create(rewriter, loc, x, splat(byteType, 3));
        auto above = [&](int64_t threshold) -> Value {
          Value bit = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::ugt, x,
                                            splat(byteType, threshold));
          return arith::ExtUIOp::create(rewriter, loc, byteType, bit);
        };
        digit = arith::AddIOp::create(rewriter, loc, above(85), above(170));
      }
      Value weights = arith::SubIOp::create(
          rewriter, loc, arith::ExtSIOp::create(rewriter, loc, wideType, digit), splat(wideType, 1));
      // x[4 plane .. 4 plane + 3] in every lane.
      Value quad = vector::ExtractStridedSliceOp::create(rewriter, loc, op.getX(), ArrayRef<int64_t>{4 * plane},
                                                         ArrayRef<int64_t>{4}, ArrayRef<int64_t>{1});
      Value word = vector::ExtractOp::create(
          rewriter, loc, vector::BitCastOp::create(rewriter, loc, wordType, quad), ArrayRef<int64_t>{0});
      Value quads = vector::BitCastOp::create(
          rewriter, loc, byteType, vector::BroadcastOp::create(rewriter, loc, accType, word));
      Value products = arith::MulIOp::create(
          rewriter, loc, weights, arith::ExtSIOp::create(rewriter, loc, wideType, quads));
      for (int64_t j = 0; j < 4; ++j) {
        SmallVector<int64_t> positions;
        for (int64_t i = 0; i < lanes; ++i)
          positions.push_back(4 * i + j);
        sum = arith::AddIOp::create(rewriter, loc, sum,
                                    vector::ShuffleOp::create(rewriter, loc, products, products, positions));
      }
    }
    rewriter.replaceOp(op, sum);
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
    patterns.add<GenericVdot, GenericAddPairs, GenericLookup16, GenericUnpackI2, GenericTdot>(
        &getContext(), /*benefit=*/1);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tern
