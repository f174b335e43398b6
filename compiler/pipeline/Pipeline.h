//===- Pipeline.h - Tern's pass pipelines -----------------------*- C++ -*-===//
#ifndef TERN_COMPILER_PIPELINE_PIPELINE_H
#define TERN_COMPILER_PIPELINE_PIPELINE_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace tern {

/// Kernel-level tern (with every tern.matmul's #tern.kernel chosen) to the
/// LLVM dialect. Registered with tern-opt as `tern-lower-to-llvm`.
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm);

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_PIPELINE_H
