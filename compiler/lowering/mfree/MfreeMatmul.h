//===- MfreeMatmul.h - the multiply-free strategy ---------------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H
#define TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H

#include "compiler/lowering/MatmulEmitter.h"

namespace tern {

/// Replaces `op` with the loops of the mfree strategy reading i2 or base3
/// weights in packing::MfreeLayout. `target` (null: unknown) decides how
/// base3 digits are decoded.
mlir::LogicalResult lowerMfreeMatmul(MatmulOp op, const MatmulOperands &operands,
                                     const TargetDesc *target, mlir::RewriterBase &rewriter);

/// The documented default parameters of the mfree strategy for a target whose
/// widest vector has `lanes` 32-bit lanes and a matmul with m rows:
/// two vectors of output rows per block; register tiles of 4 activation rows
/// when m > 1 (weights unpacked once serve 4 rows); K unrolled by 2 chunks.
KernelAttr defaultMfreeKernel(mlir::MLIRContext *ctx, int64_t lanes, int64_t m);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H
