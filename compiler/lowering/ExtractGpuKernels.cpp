//===- ExtractGpuKernels.cpp - the device half of a GPU model -------------===//
//
// A model lowered for a GPU is one module: entry points that run on the host
// and launch kernels, and the kernels. The device's copy keeps the kernels and
// the globals they use; the host's copy (`host`) the rest, and the kernels'
// declarations.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNEXTRACTGPUKERNELS
#include "compiler/lowering/Passes.h.inc"

namespace {

struct TernExtractGpuKernelsPass final
    : impl::TernExtractGpuKernelsBase<TernExtractGpuKernelsPass> {
  using TernExtractGpuKernelsBase::TernExtractGpuKernelsBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (func::FuncOp func : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (func->hasAttr(kGpuKernelAttr) != host)
        continue;
      // The host keeps each kernel's declaration for its launches to name.
      if (host) {
        func.getBody().getBlocks().clear();
        func.setPrivate();
      } else {
        func.erase();
      }
    }
    // Globals only the other half used.
    for (Operation &op : llvm::make_early_inc_range(module.getBody()->getOperations()))
      if (!isa<func::FuncOp>(op) && isa<SymbolOpInterface>(op) &&
          SymbolTable::symbolKnownUseEmpty(&op, module))
        op.erase();
  }
};

} // namespace
} // namespace tern
