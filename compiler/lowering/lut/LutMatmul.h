//===- LutMatmul.h - the lookup-table strategy ------------------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_LUT_LUTMATMUL_H
#define TERN_COMPILER_LOWERING_LUT_LUTMATMUL_H

#include "compiler/lowering/MatmulEmitter.h"
#include "compiler/tuning/SearchSpace.h"

namespace tern {

/// Replaces `op` with the loops of the lut strategy reading lut2 or lut3
/// weights in packing::LutLayout.
mlir::LogicalResult lowerLutMatmul(MatmulOp op, const MatmulOperands &operands,
                                   const TargetDesc *target, mlir::RewriterBase &rewriter);

/// The documented default parameters of the lut strategy for a target whose
/// widest vector has `lanes` 32-bit lanes and a matmul with m rows: one
/// lookup vector (4 * lanes rows) per block; register tiles of 2 activation
/// rows when m > 1 (each row needs its own tables); 2 pairs of groups per
/// step.
KernelAttr defaultLutKernel(mlir::MLIRContext *ctx, int64_t lanes, int64_t m);

/// What the tuner tries: lut2 and lut3; 1, 2 or 4 lookup vectors per block;
/// register tiles of up to 4 rows when m > 1; prefetch distances for m = 1.
SearchSpace lutSearchSpace(int64_t lanes, int64_t m);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_LUT_LUTMATMUL_H
