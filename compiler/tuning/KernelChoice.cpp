//===- KernelChoice.cpp ---------------------------------------------------===//
#include "compiler/tuning/KernelChoice.h"
#include "compiler/lowering/lut/LutMatmul.h"
#include "compiler/lowering/mfree/MfreeMatmul.h"

namespace tern {

KernelAttr chooseKernel(mlir::MLIRContext *ctx, const TargetDesc &target, Strategy strategy,
                        int64_t m, int64_t n, int64_t k) {
  int64_t lanes = lookupTargetBackend(target.arch)->vectorLanes(target);
  switch (strategy) {
  case Strategy::mfree:
    return defaultMfreeKernel(ctx, lanes, m);
  case Strategy::lut:
    return defaultLutKernel(ctx, lanes, m);
  }
  llvm_unreachable("unknown strategy");
}

} // namespace tern
