//===- X86Vdot.cpp - tern.vdot to vpdpbusd or vpmaddubsw+vpmaddwd ---------===//
#include "targets/x86/X86Target.h"
#include "targets/Target.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace tern {
namespace {

int64_t lanesOf(VdotOp op) { return op.getAcc().getType().getNumElements(); }

Value callIntrinsic(PatternRewriter &rewriter, Location loc, Type result, StringRef name,
                    ValueRange args) {
  return LLVM::CallIntrinsicOp::create(rewriter, loc, result, rewriter.getStringAttr(name), args)
      .getResult(0);
}

/// acc + dot4(u8 lhs, s8 rhs) in one vpdpbusd.
struct VdotToVpdpbusd final : OpRewritePattern<VdotOp> {
  VdotToVpdpbusd(MLIRContext *ctx, bool narrow, bool wide)
      : OpRewritePattern(ctx, /*benefit=*/3), narrow(narrow), wide(wide) {}

  LogicalResult matchAndRewrite(VdotOp op, PatternRewriter &rewriter) const override {
    int64_t lanes = lanesOf(op);
    bool supported = lanes == 16 ? wide : (lanes == 8 || lanes == 4) && narrow;
    if (!supported)
      return rewriter.notifyMatchFailure(op, "no vpdpbusd of this width on the target");
    std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(lanes * 32);
    rewriter.replaceOp(op, callIntrinsic(rewriter, op.getLoc(), op.getAcc().getType(), name,
                                         {op.getAcc(), op.getLhs(), op.getRhs()}));
    return success();
  }

  bool narrow, wide;
};

/// acc + pmaddwd(pmaddubsw(lhs, rhs), 1): exact because lhs <= 127 keeps the
/// 16-bit pair sums within range.
struct VdotToMaddubs final : OpRewritePattern<VdotOp> {
  VdotToMaddubs(MLIRContext *ctx, bool sse, bool avx2, bool avx512)
      : OpRewritePattern(ctx, /*benefit=*/2), sse(sse), avx2(avx2), avx512(avx512) {}

  LogicalResult matchAndRewrite(VdotOp op, PatternRewriter &rewriter) const override {
    int64_t lanes = lanesOf(op);
    StringRef maddubs, maddwd;
    if (lanes == 16 && avx512) {
      maddubs = "llvm.x86.avx512.pmaddubs.w.512";
      maddwd = "llvm.x86.avx512.pmaddw.d.512";
    } else if (lanes == 8 && avx2) {
      maddubs = "llvm.x86.avx2.pmadd.ub.sw";
      maddwd = "llvm.x86.avx2.pmadd.wd";
    } else if (lanes == 4 && sse) {
      maddubs = "llvm.x86.ssse3.pmadd.ub.sw.128";
      maddwd = "llvm.x86.sse2.pmadd.wd";
    } else {
      return rewriter.notifyMatchFailure(op, "no pmaddubsw of this width on the target");
    }
    Location loc = op.getLoc();
    auto i16Vec = VectorType::get({lanes * 2}, rewriter.getI16Type());
    Value pairs = callIntrinsic(rewriter, loc, i16Vec, maddubs, {op.getLhs(), op.getRhs()});
    Value ones = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(i16Vec, rewriter.getI16IntegerAttr(1).getValue()));
    Value quads = callIntrinsic(rewriter, loc, op.getAcc().getType(), maddwd, {pairs, ones});
    rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(), quads);
    return success();
  }

  bool sse, avx2, avx512;
};

} // namespace

void populateX86VdotPatterns(const TargetDesc &target, RewritePatternSet &patterns) {
  bool vnni512 = target.hasFeature("avx512vnni");
  bool vnniNarrow = target.hasFeature("avxvnni") || (vnni512 && target.hasFeature("avx512vl"));
  patterns.add<VdotToVpdpbusd>(patterns.getContext(), vnniNarrow, vnni512);
  patterns.add<VdotToMaddubs>(patterns.getContext(), target.hasFeature("ssse3"),
                              target.hasFeature("avx2"), target.hasFeature("avx512bw"));
}

} // namespace tern
