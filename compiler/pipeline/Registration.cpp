//===- Registration.cpp - the one TU that includes every registration -----===//
#include "compiler/pipeline/Registration.h"
#include "compiler/lowering/Passes.h"
#include "compiler/transforms/Passes.h"
#include "compiler/pipeline/Pipeline.h"
#include "dialects/tern/TernDialect.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ArmNeon/ArmNeonDialect.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/ArmNeon/ArmNeonToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Transforms/Passes.h"

namespace tern {

mlir::MLIRContext &ternContext() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    registerTernDialects(registry);
    auto *c = new mlir::MLIRContext(registry);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

void registerTernDialects(mlir::DialectRegistry &registry) {
  registry.insert<TernDialect, mlir::affine::AffineDialect, mlir::amx::AMXDialect, mlir::arith::ArithDialect, mlir::arm_neon::ArmNeonDialect,
                  mlir::cf::ControlFlowDialect, mlir::func::FuncDialect,
                  mlir::index::IndexDialect, mlir::LLVM::LLVMDialect, mlir::NVVM::NVVMDialect,
                  mlir::math::MathDialect,
                  mlir::memref::MemRefDialect, mlir::scf::SCFDialect, mlir::ub::UBDialect,
                  mlir::vector::VectorDialect>();
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerArmNeonDialectTranslation(registry);
  mlir::registerNVVMDialectTranslation(registry);
}

void registerTernPasses() {
  registerTernLoweringPasses();
  registerTernTransformsPasses();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::registerPass([] { return mlir::memref::createExpandStridedMetadataPass(); });
  mlir::registerPass([] { return mlir::createLowerAffinePass(); });
  mlir::registerPass([] { return mlir::createSCFToControlFlowPass(); });
  mlir::registerPass([] { return mlir::createConvertVectorToLLVMPass(); });
  mlir::registerPass([] { return mlir::createReconcileUnrealizedCastsPass(); });
  mlir::PassPipelineRegistration<>(
      "tern-lower-to-llvm",
      "Lower kernel-level tern (kernels chosen) to the LLVM dialect: matmul strategies, target "
      "dot products, parallel outlining, upstream conversions",
      buildLowerToLLVMPipeline);
  mlir::PassPipelineRegistration<>(
      "tern-prepare-model",
      "Model-level tern to kernel-level tern: choose kernels, split bitlinear into quantize + "
      "matmul, share quantizations",
      [](mlir::OpPassManager &pm) { buildPrepareModelPipeline(pm); });
  mlir::PassPipelineRegistration<>(
      "tern-lower-model-to-llvm",
      "A prepared model with placed weights to the LLVM dialect: bind weights, lower model ops, "
      "plan scratch buffers, then tern-lower-to-llvm",
      buildLowerModelToLLVMPipeline);
}

} // namespace tern
