//===- AssignKernels.cpp - choose the kernel of every bitlinear -----------===//
#include "compiler/transforms/Passes.h"
#include "compiler/tuning/KernelChoice.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNASSIGNKERNELS
#include "compiler/transforms/Passes.h.inc"

namespace {

/// Prefill matmuls are tuned for this many rows.
constexpr int64_t kPrefillRows = 128;

struct TernAssignKernelsPass final : impl::TernAssignKernelsBase<TernAssignKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Expected<TargetDesc> target = getModuleTarget(module);
    if (!target) {
      module.emitError(llvm::toString(target.takeError()));
      return signalPassFailure();
    }
    module.walk([&](BitLinearOp op) {
      if (op.getKernel())
        return;
      int64_t rows = op.getX().getType().getDimSize(0);
      int64_t m = ShapedType::isDynamic(rows) ? kPrefillRows : rows;
      TernaryType w = op.getWeight().getType();
      op.setKernelAttr(chooseKernel(&getContext(), *target, Strategy::mfree, m, w.getRows(),
                                    w.getCols()));
    });
  }
};

} // namespace
} // namespace tern
