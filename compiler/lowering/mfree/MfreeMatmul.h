//===- MfreeMatmul.h - the multiply-free strategy ---------------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H
#define TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H

#include "dialects/tern/TernDialect.h"

#include "mlir/IR/PatternMatch.h"

namespace tern {

/// The operands of a tern.matmul being lowered; `weights` is an !llvm.ptr to
/// the packed bytes.
struct MatmulOperands {
  mlir::Value a, aScale, weights, weightScale, out;
};

/// Replaces `op` with the loops of the mfree strategy reading i2 weights in
/// packing::MfreeI2Layout.
mlir::LogicalResult lowerMfreeMatmul(MatmulOp op, const MatmulOperands &operands,
                                     mlir::RewriterBase &rewriter);

/// The documented default parameters of the mfree strategy for a target whose
/// widest vector has `lanes` 32-bit lanes and a matmul with m rows:
/// two vectors of output rows per block; register tiles of 4 activation rows
/// when m > 1 (weights unpacked once serve 4 rows); K unrolled by 2 chunks.
KernelAttr defaultMfreeKernel(mlir::MLIRContext *ctx, int64_t lanes, int64_t m);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H
