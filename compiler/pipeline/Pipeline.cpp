//===- Pipeline.cpp -------------------------------------------------------===//
#include "compiler/pipeline/Pipeline.h"
#include "compiler/lowering/Passes.h"
#include "compiler/transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

namespace tern {

void buildLowerToLLVMPipeline(mlir::OpPassManager &pm) {
  pm.addPass(createTernLowerMatmul());
  pm.addPass(createTernLowerVectorOps());
  pm.addPass(createTernOutlineParallel());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  // Views (memref.subview) become explicit offset arithmetic.
  pm.addPass(mlir::memref::createExpandStridedMetadataPass());
  pm.addPass(mlir::createLowerAffinePass());
  pm.addPass(mlir::createSCFToControlFlowPass());
  pm.addPass(mlir::createConvertVectorToLLVMPass());
  pm.addPass(createTernConvertToLLVM());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
}

void buildPrepareModelPipeline(mlir::OpPassManager &pm, const std::string &tuningDb,
                               int64_t threads, const std::string &strategy) {
  pm.addPass(createTernAssignKernels({tuningDb, threads, strategy}));
  pm.addPass(createTernDecomposeBitLinear());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(createTernShareQuantize());
  pm.addPass(mlir::createCSEPass());
}

void buildLowerModelPipeline(mlir::OpPassManager &pm, int64_t emulateGpuBlocks, bool gpu) {
  pm.addPass(createTernBindWeights());
  pm.addPass(createTernLowerModel({emulateGpuBlocks}));
  // Before canonicalization would inline a block loop of one iteration (the
  // tasks of a decode step) into the host's code.
  if (gpu)
    pm.addPass(createTernOutlineParallel());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(createTernPlanBuffers());
}

void buildLowerModelToLLVMPipeline(mlir::OpPassManager &pm) {
  buildLowerModelPipeline(pm);
  buildLowerToLLVMPipeline(pm);
}

} // namespace tern
