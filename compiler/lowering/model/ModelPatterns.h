//===- ModelPatterns.h - lowerings of the model-level tern ops --*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_MODEL_MODELPATTERNS_H
#define TERN_COMPILER_LOWERING_MODEL_MODELPATTERNS_H

#include "mlir/IR/PatternMatch.h"

namespace tern {

/// Each lowering writes its loops in vectors of `lanes` f32 elements.
template <typename OpTy> struct ModelOpLowering : mlir::OpRewritePattern<OpTy> {
  ModelOpLowering(mlir::MLIRContext *ctx, int64_t lanes)
      : mlir::OpRewritePattern<OpTy>(ctx), lanes(lanes) {}
  int64_t lanes;
};

/// The number of rows (dimension 0) of a memref value, as an index.
mlir::Value rowCount(mlir::OpBuilder &b, mlir::Location loc, mlir::Value memref);

void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns, int64_t lanes);
void populateNormalizationLoweringPatterns(mlir::RewritePatternSet &patterns, int64_t lanes);
void populateRopeLoweringPatterns(mlir::RewritePatternSet &patterns, int64_t lanes);
void populateAttentionLoweringPatterns(mlir::RewritePatternSet &patterns, int64_t lanes);
/// `tablePrefetchLocality`: the LLVM locality hint the output head prefetches
/// its next table row with (TargetBackend::weightPrefetchLocality).
void populateEmbeddingLoweringPatterns(mlir::RewritePatternSet &patterns, int64_t lanes,
                                       int tablePrefetchLocality);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MODEL_MODELPATTERNS_H
