//===- Normalization.cpp - rms_norm and per-token quantization ------------===//
#include "compiler/lowering/model/ModelPatterns.h"
#include "compiler/lowering/model/VectorLoops.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tern {
namespace {

/// out = x / sqrt(mean(x^2) + eps) * gamma, one row per iteration. The
/// inverse root is computed in f64 and rounded once: its f32 value is then
/// the correctly rounded one, so the quantization that usually follows sees
/// exactly the values the reference computes (a last-bit difference can flip
/// an int8 activation, and that visibly changes the model's output).
struct RmsNormLowering final : ModelOpLowering<RmsNormOp> {
  using ModelOpLowering::ModelOpLowering;
  LogicalResult matchAndRewrite(RmsNormOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, style);
    int64_t cols = op.getX().getType().getDimSize(1);
    Type f64 = rewriter.getF64Type();
    auto f64Constant = [&](double v) -> Value {
      return arith::ConstantOp::create(rewriter, loc, rewriter.getF64FloatAttr(v));
    };
    Value eps = f64Constant(static_cast<double>(op.getEpsilon().convertToFloat()));
    loops.parallel(rowCount(rewriter, loc, op.getX()), [&](Value i) {
      Value squares = loops.reduce(loops.index(0), loops.index(cols), vector::CombiningKind::ADD,
                                   0.0, f64, [&](Value j, VectorType type) -> Value {
                                     Value x = loops.loadAs(op.getX(), {i, j}, type);
                                     return arith::MulFOp::create(rewriter, loc, x, x);
                                   });
      Value mean = arith::DivFOp::create(rewriter, loc, squares, f64Constant(static_cast<double>(cols)));
      Value root = math::SqrtOp::create(rewriter, loc, arith::AddFOp::create(rewriter, loc, mean, eps));
      Value inverse = arith::TruncFOp::create(rewriter, loc, rewriter.getF32Type(),
                                              arith::DivFOp::create(rewriter, loc, f64Constant(1.0), root));
      loops.forEach(loops.index(0), loops.index(cols), rewriter.getF32Type(),
                    [&](Value j, VectorType type) {
                      Value x = loops.loadF32(op.getX(), {i, j}, type);
                      Value g = loops.loadF32(op.getGamma(), {j}, type);
                      Value y = arith::MulFOp::create(
                          rewriter, loc, arith::MulFOp::create(rewriter, loc, x, loops.splat(inverse, type)), g);
                      vector::StoreOp::create(rewriter, loc, y, op.getOut(), ValueRange{i, j});
                    });
    });
    rewriter.eraseOp(op);
    return success();
  }
};

/// scale = 127 / max(absmax, 1e-5); q = clamp(round_half_even(x * scale)).
struct QuantizeLowering final : ModelOpLowering<QuantizeOp> {
  using ModelOpLowering::ModelOpLowering;
  LogicalResult matchAndRewrite(QuantizeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, style);
    int64_t cols = op.getX().getType().getDimSize(1);
    loops.parallel(rowCount(rewriter, loc, op.getX()), [&](Value i) {
      Value absmax = loops.reduce(loops.index(0), loops.index(cols), vector::CombiningKind::MAXIMUMF,
                                  0.0f, [&](Value j, VectorType type) -> Value {
                                    return math::AbsFOp::create(
                                        rewriter, loc, loops.loadF32(op.getX(), {i, j}, type));
                                  });
      Value floor = arith::MaximumFOp::create(rewriter, loc, absmax, loops.f32(1e-5f));
      Value scale = arith::DivFOp::create(rewriter, loc, loops.f32(127.0f), floor);
      memref::StoreOp::create(rewriter, loc, scale, op.getScale(), ValueRange{i});
      loops.forEach(loops.index(0), loops.index(cols), rewriter.getF32Type(),
                    [&](Value j, VectorType type) {
                      Value x = loops.loadF32(op.getX(), {i, j}, type);
                      Value r = math::RoundEvenOp::create(
                          rewriter, loc, arith::MulFOp::create(rewriter, loc, x, loops.splat(scale, type)));
                      r = arith::MinimumFOp::create(rewriter, loc, r, loops.splat(loops.f32(127.0f), type));
                      r = arith::MaximumFOp::create(rewriter, loc, r, loops.splat(loops.f32(-128.0f), type));
                      Value q = arith::FPToSIOp::create(
                          rewriter, loc, VectorType::get(type.getShape(), rewriter.getI8Type()), r);
                      vector::StoreOp::create(rewriter, loc, q, op.getQ(), ValueRange{i, j});
                    });
    });
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateNormalizationLoweringPatterns(RewritePatternSet &patterns, LoopStyle style) {
  patterns.add<RmsNormLowering, QuantizeLowering>(patterns.getContext(), style);
}

} // namespace tern
