//===- ModelPatterns.h - lowerings of the model-level tern ops --*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_MODEL_MODELPATTERNS_H
#define TERN_COMPILER_LOWERING_MODEL_MODELPATTERNS_H

#include "compiler/lowering/model/VectorLoops.h"

#include "mlir/IR/PatternMatch.h"

namespace tern {

/// Each lowering writes its loops in `style`: vectors of a CPU's width, or
/// GPU blocks.
template <typename OpTy> struct ModelOpLowering : mlir::OpRewritePattern<OpTy> {
  ModelOpLowering(mlir::MLIRContext *ctx, LoopStyle style)
      : mlir::OpRewritePattern<OpTy>(ctx), style(style) {}
  LoopStyle style;
};

/// The number of rows (dimension 0) of a memref value, as an index.
mlir::Value rowCount(mlir::OpBuilder &b, mlir::Location loc, mlir::Value memref);

void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns, LoopStyle style);
void populateNormalizationLoweringPatterns(mlir::RewritePatternSet &patterns, LoopStyle style);
void populateRopeLoweringPatterns(mlir::RewritePatternSet &patterns, LoopStyle style);
void populateAttentionLoweringPatterns(mlir::RewritePatternSet &patterns, LoopStyle style);
/// `tablePrefetchLocality`: the LLVM locality hint the output head prefetches
/// its next table row with (TargetBackend::weightPrefetchLocality).
void populateEmbeddingLoweringPatterns(mlir::RewritePatternSet &patterns, LoopStyle style,
                                       int tablePrefetchLocality);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MODEL_MODELPATTERNS_H
