//===- MatmulKernel.h - one ternary matmul as a standalone kernel -*- C++ -*-===//
//
// What `ternc kernel` compiles: a tern.matmul of one shape behind a plain C
// entry point
//
//   void SYMBOL(void *runtime, const int8_t *a, const float *a_scale,
//               const uint8_t *w, float w_scale, float *y, int64_t m);
//
// written as an artifact directory (manifest.json + kernel.so) that the
// runtime loads with tern_kernel_load.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_PIPELINE_MATMULKERNEL_H
#define TERN_COMPILER_PIPELINE_MATMULKERNEL_H

#include "dialects/tern/TernDialect.h"
#include "targets/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <string>

namespace tern {

struct MatmulKernelSpec {
  int64_t m = 1; // rows the kernel is tuned for; it accepts any m >= 1
  int64_t n = 0;
  int64_t k = 0;
  Packing packing = Packing::i2;
  Strategy strategy = Strategy::mfree;
  KernelAttr kernel; // null: the strategy's default for the target
  std::string symbol = "tern_matmul";
};

/// Rejects sizes and packings no kernel can be built for, with a message
/// naming the problem.
llvm::Error validateMatmulSpec(const MatmulKernelSpec &spec);

/// The #tern.kernel the spec asks for, or the strategy's default for target.
KernelAttr resolveKernelAttr(mlir::MLIRContext *ctx, const MatmulKernelSpec &spec,
                             const TargetDesc &target);

/// The kernel-level tern module of the spec, with its target recorded.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildMatmulKernelModule(mlir::MLIRContext *ctx, const MatmulKernelSpec &spec,
                        const TargetDesc &target);

/// Runs tern-lower-to-llvm; errors carry the MLIR diagnostics.
llvm::Error lowerToLLVMDialect(mlir::ModuleOp module);

/// Compiles the spec and writes DIR/{manifest.json,kernel.so}; with
/// keepIntermediates also kernel.tern.mlir, kernel.ll and kernel.s.
/// `progress` hears the name of each stage as it starts.
llvm::Error writeMatmulKernelArtifact(mlir::MLIRContext *ctx, const MatmulKernelSpec &spec,
                                      const TargetDesc &target, const std::string &dir,
                                      bool keepIntermediates,
                                      const std::function<void(llvm::StringRef)> &progress = {});

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_MATMULKERNEL_H
