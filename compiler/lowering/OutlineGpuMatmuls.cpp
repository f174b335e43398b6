//===- OutlineGpuMatmuls.cpp - a model's matmuls as GPU kernels -----------===//
//
// On a GPU target every tern.matmul of a host function becomes a kernel of
// its own, the same kernel `ternc kernel` writes for that shape (simt or mma
// threads, blocks of output rows along x, tiles of activation rows along y),
// and a launch of it. The kernel reads the weight scale from GPU memory
// itself: the host has no copy of the weights.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/Passes.h"
#include "compiler/lowering/RuntimeContext.h"
#include "targets/Target.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNOUTLINEGPUMATMULS
#include "compiler/lowering/Passes.h.inc"

namespace {

LogicalResult outline(MatmulOp op, SymbolTable &symbols) {
  auto parent = op->getParentOfType<func::FuncOp>();
  Value context = findRuntimeContext(parent);
  if (!context)
    return op.emitOpError("must be inside a function with an !llvm.ptr argument marked '")
           << kRuntimeContextAttr << "' to launch on a GPU";
  auto weights = op.getWeight().getDefiningOp<BufferFromPtrOp>();
  if (!weights)
    return op.emitOpError("on a GPU needs its weights bound to a pointer (tern-bind-weights)");
  // The scale's load moves into the kernel with the memref it reads.
  Operation *scaleLoad = op.getWeightScale().getDefiningOp<memref::LoadOp>();
  SmallVector<Value> args = {op.getA(), op.getAScale(), weights.getPtr()};
  if (scaleLoad)
    llvm::append_range(args, scaleLoad->getOperands());
  else
    args.push_back(op.getWeightScale());
  args.push_back(op.getOut());

  Location loc = op.getLoc();
  OpBuilder b(parent);
  b.setInsertionPointAfter(parent);
  auto kernel = func::FuncOp::create(b, loc, (parent.getSymName() + "_matmul").str(),
                                     b.getFunctionType(ValueRange(args).getTypes(), {}));
  symbols.insert(kernel);
  GpuLaunch geometry = gpuLaunch(op.getKernel(), op.getWeight().getType().getShape()[0]);
  kernel->setAttr(kGpuKernelAttr, b.getI64IntegerAttr(geometry.threadsPerBlock));
  Block *entry = kernel.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  mapping.map(args, entry->getArguments());
  Value w = BufferFromPtrOp::create(b, loc, weights.getType(), entry->getArgument(2), ValueRange{});
  Value scale = scaleLoad ? b.clone(*scaleLoad, mapping)->getResult(0)
                          : mapping.lookup(op.getWeightScale());
  MatmulOp::create(b, loc, mapping.lookup(op.getA()), mapping.lookup(op.getAScale()), w, scale,
                   mapping.lookup(op.getOut()), op.getKernelAttr());
  func::ReturnOp::create(b, loc);

  b.setInsertionPoint(op);
  Value rows = memref::DimOp::create(b, loc, op.getA(), 0);
  Value perTile = arith::ConstantIndexOp::create(b, loc, geometry.rowsPerBlockY);
  Value tiles = arith::DivUIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, rows, arith::ConstantIndexOp::create(b, loc, geometry.rowsPerBlockY - 1)),
      perTile);
  GpuLaunchOp::create(b, loc, kernel.getSymName(),
                      ValueRange{arith::ConstantIndexOp::create(b, loc, geometry.blocksX), tiles},
                      geometry.threadsPerBlock, context, args);
  op.erase();
  return success();
}

struct TernOutlineGpuMatmulsPass final
    : impl::TernOutlineGpuMatmulsBase<TernOutlineGpuMatmulsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<MatmulOp> matmuls;
    module.walk([&](MatmulOp op) {
      auto func = op->getParentOfType<func::FuncOp>();
      if (!func || !func->hasAttr(kGpuKernelAttr))
        matmuls.push_back(op);
    });
    for (MatmulOp op : matmuls)
      if (failed(outline(op, symbols)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace tern
