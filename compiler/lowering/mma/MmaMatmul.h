//===- MmaMatmul.h - the GPU tensor-core strategy ---------------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_MMA_MMAMATMUL_H
#define TERN_COMPILER_LOWERING_MMA_MMAMATMUL_H

#include "compiler/lowering/MatmulEmitter.h"
#include "compiler/tuning/SearchSpace.h"

namespace tern {

/// Replaces `op` with the warps of the mma strategy on i2 weights in
/// packing::MfreeLayout: int8 tensor-core steps where `target` has a
/// GpuMapping, else each warp's 32 threads run in loops and its MMA steps
/// are computed from their fragments (the host lowering that tests the
/// kernel's logic).
mlir::LogicalResult lowerMmaMatmul(MatmulOp op, const MatmulOperands &operands,
                                   const TargetDesc *target, mlir::RewriterBase &rewriter);

/// Blocks of 64 output rows, 4 warps each covering 32 activation rows x 16
/// output rows, two steps of 32 K values per loop iteration.
KernelAttr defaultMmaKernel(mlir::MLIRContext *ctx);

/// What the tuner tries: rows per block, activation and weight tiles per
/// warp, K unrolling.
SearchSpace mmaSearchSpace();

/// Threads per block, and the activation rows a block covers (blocks along
/// y: ceil(m / rows)); blocks along x are ceil(n / tile_n).
int64_t mmaThreadsPerBlock(KernelAttr kernel);
int64_t mmaRowsPerBlock(KernelAttr kernel);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MMA_MMAMATMUL_H
