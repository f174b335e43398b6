//===- KernelChoice.h - which kernel runs a ternary matmul ------*- C++ -*-===//
#ifndef TERN_COMPILER_TUNING_KERNELCHOICE_H
#define TERN_COMPILER_TUNING_KERNELCHOICE_H

#include "dialects/tern/TernDialect.h"
#include "targets/Target.h"

namespace tern {

/// The kernel for an m x n x k ternary matmul on `target`: the strategy's
/// documented default for the target's vector width.
KernelAttr chooseKernel(mlir::MLIRContext *ctx, const TargetDesc &target, Strategy strategy,
                        int64_t m, int64_t n, int64_t k);

} // namespace tern

#endif // TERN_COMPILER_TUNING_KERNELCHOICE_H
