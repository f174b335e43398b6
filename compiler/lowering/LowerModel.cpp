//===- LowerModel.cpp - model-level tern ops to loops over vectors --------===//
#include "compiler/lowering/Passes.h"
#include "compiler/lowering/model/ModelPatterns.h"
#include "targets/Target.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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

struct TernLowerModelPass final : impl::TernLowerModelBase<TernLowerModelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Expected<TargetDesc> target = getModuleTarget(module);
    if (!target) {
      module.emitError(llvm::toString(target.takeError()));
      return signalPassFailure();
    }
    const TargetBackend *backend = lookupTargetBackend(target->arch);
    int64_t lanes = backend->vectorLanes(*target);
    RewritePatternSet patterns(&getContext());
    populateElementwiseLoweringPatterns(patterns, lanes);
    populateNormalizationLoweringPatterns(patterns, lanes);
    populateRopeLoweringPatterns(patterns, lanes);
    populateAttentionLoweringPatterns(patterns, lanes);
    populateEmbeddingLoweringPatterns(patterns, lanes, backend->weightPrefetchLocality(*target));
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
