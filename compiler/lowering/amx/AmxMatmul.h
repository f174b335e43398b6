//===- AmxMatmul.h - the x86 AMX tile strategy -----------------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_AMX_AMXMATMUL_H
#define TERN_COMPILER_LOWERING_AMX_AMXMATMUL_H

#include "compiler/lowering/MatmulEmitter.h"
#include "compiler/tuning/SearchSpace.h"

namespace tern {

/// Replaces `op` with the amx strategy's loops on i2 weights in
/// packing::MfreeLayout (lanes 16). Fails, naming the reason, where the target
/// lacks amx-int8 or K is not a multiple of 64.
mlir::LogicalResult lowerAmxMatmul(MatmulOp op, const MatmulOperands &operands,
                                   const TargetDesc *target, mlir::RewriterBase &rewriter);

/// How many blocks of `tileN` output rows one task of the amx strategy (an
/// iteration of its parallel loop) covers: two where the `unrollK` weight
/// tiles of a step do not divide a block's tile_n / 16 (e.g. 2 of 3), one
/// otherwise.
int64_t amxTaskBlocks(int64_t tileN, int64_t unrollK);

/// Whether the amx strategy can run a matmul of K = `k` in blocks of `tileN`
/// output rows with `unrollK` weight tiles a step on `target`.
bool amxSupports(const TargetDesc &target, int64_t k, int64_t tileN, int64_t unrollK);

/// The documented default: blocks of 64 output rows (the decode kernels'
/// layout), 2 x 2 accumulator tiles (32 activation rows by 32 output rows per
/// step, all 8 tile registers).
KernelAttr defaultAmxKernel(mlir::MLIRContext *ctx);

/// What the tuner tries: block sizes, and the shapes of the accumulator
/// tiles that fit the 8 tile registers.
SearchSpace amxSearchSpace();

} // namespace tern

#endif // TERN_COMPILER_LOWERING_AMX_AMXMATMUL_H
