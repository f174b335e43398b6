//===- Pipeline.h - Tern's pass pipelines -----------------------*- C++ -*-===//
#ifndef TERN_COMPILER_PIPELINE_PIPELINE_H
#define TERN_COMPILER_PIPELINE_PIPELINE_H

#include <cstdint>
#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace tern {

/// Kernel-level tern (with every tern.matmul's #tern.kernel chosen) to the
/// LLVM dialect. Registered with tern-opt as `tern-lower-to-llvm`.
void buildLowerToLLVMPipeline(mlir::OpPassManager &pm);

/// Model-level tern to kernel-level tern: kernels chosen, bitlinear split
/// into quantize + matmul, quantizations shared. Registered as
/// `tern-prepare-model`. Weights are placed after it.
/// Kernels come from `tuningDb` (tern-tune's database; "": documented
/// defaults) for `threads` threads, of `strategy` only if one is named.
void buildPrepareModelPipeline(mlir::OpPassManager &pm, const std::string &tuningDb = "",
                               int64_t threads = 1, const std::string &strategy = "");

/// A prepared model with placed weights to kernel-level loops: weights bound,
/// model ops lowered, activations planned in scratch memory. On a GPU target
/// (`gpu`) the model ops become kernels and launches.
void buildLowerModelPipeline(mlir::OpPassManager &pm, int64_t emulateGpuBlocks = 0,
                             bool gpu = false);

/// buildLowerModelPipeline then tern-lower-to-llvm. Registered as
/// `tern-lower-model-to-llvm`.
void buildLowerModelToLLVMPipeline(mlir::OpPassManager &pm);

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_PIPELINE_H
