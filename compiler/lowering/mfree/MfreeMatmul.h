//===- MfreeMatmul.h - the multiply-free strategy ---------------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H
#define TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H

#include "compiler/lowering/MatmulEmitter.h"
#include "compiler/tuning/SearchSpace.h"

namespace tern {

/// Replaces `op` with the loops of the mfree strategy reading i2 or base3
/// weights in packing::MfreeLayout. `target` (null: unknown) decides how
/// base3 digits are decoded.
mlir::LogicalResult lowerMfreeMatmul(MatmulOp op, const MatmulOperands &operands,
                                     const TargetDesc *target, mlir::RewriterBase &rewriter);

/// The documented default parameters of the mfree strategy for a target whose
/// widest vector has `lanes` 32-bit lanes, with `registers` vector
/// registers, and a matmul with m rows. Decoding (m = 1): four vectors of
/// output rows per block, prefetch 16 chunks ahead. Prefill (m > 1): two
/// vectors, register tiles of 4 activation rows (3 with 16 registers), so
/// that weights unpacked once serve several rows.
KernelAttr defaultMfreeKernel(mlir::MLIRContext *ctx, int64_t lanes, int64_t registers, int64_t m);

/// What the tuner tries: i2 and base3; 1 to 8 vectors of rows per block;
/// register tiles of up to 8 rows when m > 1; decoding (m = 1) adds
/// prefetch distances and parallel K streams.
SearchSpace mfreeSearchSpace(int64_t lanes, int64_t m);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MFREE_MFREEMATMUL_H
