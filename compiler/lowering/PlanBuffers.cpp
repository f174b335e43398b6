//===- PlanBuffers.cpp - activations in the scratch arena -----------------===//
#include "compiler/lowering/Passes.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNPLANBUFFERS
#include "compiler/lowering/Passes.h.inc"

namespace {

constexpr int64_t kAlignment = 64;

LogicalResult planFunction(func::FuncOp func) {
  Value scratch;
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), "tern.scratch"))
      scratch = arg;
  if (!scratch)
    return success();
  SmallVector<memref::AllocOp> allocs;
  func.walk([&](memref::AllocOp op) { allocs.push_back(op); });

  // Fixed-size buffers first, then the per-row ones: offset = a * rows + b.
  Value rows;
  int64_t fixedBytes = 0, perRowBytes = 0;
  struct Placement {
    memref::AllocOp op;
    int64_t perRow, fixed;
  };
  SmallVector<Placement> placements;
  for (memref::AllocOp op : allocs) {
    MemRefType type = op.getType();
    if (!type.getLayout().isIdentity())
      return op.emitOpError("only row-major activation buffers can be placed in scratch memory");
    int64_t elementBytes = llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    int64_t inner = elementBytes;
    for (int64_t d = 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    if (type.getNumDynamicDims() > 1 || (type.getRank() > 1 && type.isDynamicDim(1)))
      return op.emitOpError("only the leading dimension of an activation buffer may be dynamic");
    if (type.getNumDynamicDims() == 0) {
      placements.push_back({op, 0, fixedBytes});
      fixedBytes += llvm::alignTo(inner * type.getDimSize(0), kAlignment);
      continue;
    }
    Value size = op.getDynamicSizes()[0];
    if (rows && size != rows)
      return op.emitOpError("activation buffers of one function must share one dynamic row count");
    rows = size;
    placements.push_back({op, perRowBytes, 0});
    perRowBytes += llvm::alignTo(inner, kAlignment);
  }
  for (Placement &p : placements) {
    OpBuilder b(p.op);
    Location loc = p.op.getLoc();
    Value offset;
    if (p.op.getType().getNumDynamicDims() == 0) {
      offset = arith::ConstantIntOp::create(b, loc, p.fixed, 64);
    } else {
      Value r = arith::IndexCastOp::create(b, loc, b.getI64Type(), rows);
      offset = arith::AddIOp::create(
          b, loc, arith::ConstantIntOp::create(b, loc, fixedBytes, 64),
          arith::MulIOp::create(b, loc, r, arith::ConstantIntOp::create(b, loc, p.perRow, 64)));
    }
    Value ptr = LLVM::GEPOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                    b.getI8Type(), scratch, ValueRange{offset});
    Value view = BufferFromPtrOp::create(b, loc, p.op.getType(), ptr, p.op.getDynamicSizes());
    for (Operation *user : llvm::make_early_inc_range(p.op->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    p.op.replaceAllUsesWith(view);
    p.op.erase();
  }
  Builder b(func.getContext());
  func->setAttr("tern.scratch_bytes_per_row", b.getI64IntegerAttr(perRowBytes));
  func->setAttr("tern.scratch_bytes_fixed", b.getI64IntegerAttr(fixedBytes));
  return success();
}

struct TernPlanBuffersPass final : impl::TernPlanBuffersBase<TernPlanBuffersPass> {
  void runOnOperation() override {
    for (func::FuncOp func : getOperation().getOps<func::FuncOp>())
      if (failed(planFunction(func)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace tern
