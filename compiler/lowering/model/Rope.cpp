//===- Rope.cpp - rotary position embedding -------------------------------===//
//
// Angles and their sines and cosines are computed in f64: at position 4000
// an f32 angle is off by ~5e-4 radians, visible in attention scores.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/model/ModelPatterns.h"
#include "compiler/lowering/model/VectorLoops.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;

namespace tern {
namespace {

/// A module-level constant table theta^(-2j/d), j < d/2.
Value inverseFrequencies(PatternRewriter &rewriter, Operation *op, int64_t headDim, double theta) {
  auto module = op->getParentOfType<ModuleOp>();
  std::string name = llvm::formatv("tern_rope_inv_freq_{0}_{1}", headDim,
                                   static_cast<int64_t>(theta)).str();
  auto type = MemRefType::get({headDim / 2}, rewriter.getF64Type());
  if (!module.lookupSymbol(name)) {
    SmallVector<double> values;
    for (int64_t j = 0; j < headDim / 2; ++j)
      values.push_back(std::pow(theta, -2.0 * static_cast<double>(j) / static_cast<double>(headDim)));
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(module.getBody());
    memref::GlobalOp::create(rewriter, op->getLoc(), name, rewriter.getStringAttr("private"), type,
                             DenseElementsAttr::get(RankedTensorType::get({headDim / 2},
                                                                          rewriter.getF64Type()),
                                                    ArrayRef<double>(values)),
                             /*constant=*/true, IntegerAttr());
  }
  return memref::GetGlobalOp::create(rewriter, op->getLoc(), type, name);
}

struct RopeLowering final : ModelOpLowering<RopeOp> {
  using ModelOpLowering::ModelOpLowering;
  LogicalResult matchAndRewrite(RopeOp op, PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorLoops loops(rewriter, loc, style);
    int64_t d = static_cast<int64_t>(op.getHeadDim());
    int64_t heads = op.getX().getType().getDimSize(1) / d;
    Value frequencies = inverseFrequencies(rewriter, op, d, op.getTheta().convertToDouble());
    Type f64 = rewriter.getF64Type(), f32 = rewriter.getF32Type();
    loops.parallel(rowCount(rewriter, loc, op.getX()), [&](Value i) {
      Value position = arith::AddIOp::create(rewriter, loc, op.getPosition(), i);
      Value p = arith::SIToFPOp::create(
          rewriter, loc, f64, arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), position));
      loops.distribute(loops.index(0), loops.index(d / 2), [&](Value j) {
        Value angle = arith::MulFOp::create(
            rewriter, loc, p, memref::LoadOp::create(rewriter, loc, frequencies, ValueRange{j}));
        Value c, s;
        if (loops.inBlocks()) { // GPUs have no libm
          std::tie(s, c) = loops.sinCosF64(angle);
        } else {
          c = math::CosOp::create(rewriter, loc, angle);
          s = math::SinOp::create(rewriter, loc, angle);
        }
        loops.loop(loops.index(0), loops.index(heads), [&](Value h) {
          Value first = arith::AddIOp::create(
              rewriter, loc, arith::MulIOp::create(rewriter, loc, h, loops.index(d)), j);
          Value second = arith::AddIOp::create(rewriter, loc, first, loops.index(d / 2));
          auto load = [&](Value col) {
            Value x = memref::LoadOp::create(rewriter, loc, op.getX(), ValueRange{i, col});
            return arith::ExtFOp::create(rewriter, loc, f64, x, arith::FastMathFlagsAttr());
          };
          Value a = load(first), bv = load(second);
          Value ra = arith::SubFOp::create(rewriter, loc, arith::MulFOp::create(rewriter, loc, a, c),
                                           arith::MulFOp::create(rewriter, loc, bv, s));
          Value rb = arith::AddFOp::create(rewriter, loc, arith::MulFOp::create(rewriter, loc, bv, c),
                                           arith::MulFOp::create(rewriter, loc, a, s));
          memref::StoreOp::create(rewriter, loc, arith::TruncFOp::create(rewriter, loc, f32, ra),
                                  op.getOut(), ValueRange{i, first});
          memref::StoreOp::create(rewriter, loc, arith::TruncFOp::create(rewriter, loc, f32, rb),
                                  op.getOut(), ValueRange{i, second});
        });
      });
    });
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void populateRopeLoweringPatterns(RewritePatternSet &patterns, LoopStyle style) {
  patterns.add<RopeLowering>(patterns.getContext(), style);
}

} // namespace tern
