//===- LowerModel.cpp - model-level tern ops to loops over vectors --------===//
#include "compiler/lowering/Passes.h"
#include "compiler/lowering/model/ModelPatterns.h"
#include "targets/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNLOWERMODEL
#include "compiler/lowering/Passes.h.inc"

namespace {

// Four warps: enough to hide a row's memory latency, few enough that a
// 2560-wide row gives every thread 20 elements.
constexpr int64_t kGpuBlockThreads = 128;

struct TernLowerModelPass final : impl::TernLowerModelBase<TernLowerModelPass> {
  using TernLowerModelBase::TernLowerModelBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Expected<TargetDesc> target = getModuleTarget(module);
    if (!target) {
      module.emitError(llvm::toString(target.takeError()));
      return signalPassFailure();
    }
    const TargetBackend *backend = lookupTargetBackend(target->arch);
    LoopStyle style{backend->vectorLanes(*target), backend->vectorRegisters(*target),
                    emulateGpuBlocks, backend->gpuMapping()};
    if (style.gpu)
      style.blockThreads = kGpuBlockThreads;
    if (style.blockThreads % 32 != 0 || style.blockThreads < 0 || style.blockThreads > 1024) {
      module.emitError() << "GPU blocks must have a multiple of 32 threads up to 1024, got "
                         << style.blockThreads;
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateElementwiseLoweringPatterns(patterns, style);
    populateNormalizationLoweringPatterns(patterns, style);
    populateRopeLoweringPatterns(patterns, style);
    populateAttentionLoweringPatterns(patterns, style);
    populateEmbeddingLoweringPatterns(patterns, style, backend->weightPrefetchLocality(*target));
    GreedyRewriteConfig config;
    config.setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(module, std::move(patterns), config)))
      return signalPassFailure();

    // exp would otherwise be a libm call per element.
    RewritePatternSet math(&getContext());
    populateMathPolynomialApproximationPatterns(
        math, [](StringRef name) { return name == "exp" || name == "math.exp"; });
    if (failed(applyPatternsGreedily(module, std::move(math))))
      return signalPassFailure();
  }
};

} // namespace
} // namespace tern
