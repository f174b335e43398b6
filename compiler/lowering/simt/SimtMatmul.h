//===- SimtMatmul.h - the GPU-style strategy --------------------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_SIMT_SIMTMATMUL_H
#define TERN_COMPILER_LOWERING_SIMT_SIMTMATMUL_H

#include "compiler/lowering/MatmulEmitter.h"
#include "compiler/tuning/SearchSpace.h"

namespace tern {

/// Replaces `op` with the threads of the simt strategy on i2 weights in
/// packing::MfreeLayout: mapped onto a GPU's threads where `target` has a
/// GpuMapping, else run in loops (the host lowering that tests their logic).
mlir::LogicalResult lowerSimtMatmul(MatmulOp op, const MatmulOperands &operands,
                                    const TargetDesc *target, mlir::RewriterBase &rewriter);

/// Decode (m = 1): 8 warps per block, each 8 rows x 4 slices of K; prefill:
/// each thread also reuses its decoded weights for 4 activation rows.
KernelAttr defaultSimtKernel(mlir::MLIRContext *ctx, int64_t m);

/// What the tuner tries: rows per warp (and so slices of K), warps per
/// block, activation rows per thread, K unrolling.
SearchSpace simtSearchSpace(int64_t m);

/// Threads per block and blocks along x of a simt kernel: the launch
/// geometry (blocks along y: ceil(m / tile_m)).
int64_t simtThreadsPerBlock(KernelAttr kernel);
int64_t simtBlocksX(KernelAttr kernel, int64_t n);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_SIMT_SIMTMATMUL_H
