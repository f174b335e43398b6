//===- Pipeline.cpp -------------------------------------------------------===//
#include "compiler/pipeline/Pipeline.h"
#include "compiler/lowering/Passes.h"

#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

namespace tern {

void buildLowerToLLVMPipeline(mlir::OpPassManager &pm) {
  pm.addPass(createTernLowerMatmul());
  pm.addPass(createTernLowerVdot());
  pm.addPass(createTernOutlineParallel());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(mlir::createSCFToControlFlowPass());
  pm.addPass(mlir::createConvertVectorToLLVMPass());
  pm.addPass(createTernConvertToLLVM());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
}

} // namespace tern
