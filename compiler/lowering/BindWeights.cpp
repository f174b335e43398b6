//===- BindWeights.cpp - tern.weight to views of the weights buffer -------===//
#include "compiler/lowering/Passes.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNBINDWEIGHTS
#include "compiler/lowering/Passes.h.inc"

namespace {

struct TernBindWeightsPass final : impl::TernBindWeightsBase<TernBindWeightsPass> {
  void runOnOperation() override {
    WalkResult result = getOperation().walk([&](WeightOp op) {
      auto func = op->getParentOfType<func::FuncOp>();
      Value base;
      for (BlockArgument arg : func.getArguments())
        if (func.getArgAttr(arg.getArgNumber(), "tern.weights"))
          base = arg;
      if (!base) {
        op.emitOpError("is not inside a function with an argument marked 'tern.weights'");
        return WalkResult::interrupt();
      }
      if (!op.getOffset()) {
        op.emitOpError("has not been placed in the weights buffer (no offset)");
        return WalkResult::interrupt();
      }
      OpBuilder b(op);
      Location loc = op.getLoc();
      Value offset = arith::ConstantIntOp::create(b, loc, *op.getOffset(), 64);
      if (Value layer = op.getLayer()) {
        Value index = arith::IndexCastOp::create(b, loc, b.getI64Type(), layer);
        Value stride = arith::ConstantIntOp::create(b, loc, *op.getStride(), 64);
        offset = arith::AddIOp::create(b, loc, offset, arith::MulIOp::create(b, loc, index, stride));
      }
      Value ptr = LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                      b.getI8Type(), base, ValueRange{offset});
      op.replaceAllUsesWith(
          BufferFromPtrOp::create(b, loc, op.getType(), ptr, ValueRange{}).getResult());
      op.erase();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
} // namespace tern
