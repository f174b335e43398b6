//===- RowLutMatmul.h - table lookups with activation rows in lanes -*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_ROWLUT_ROWLUTMATMUL_H
#define TERN_COMPILER_LOWERING_ROWLUT_ROWLUTMATMUL_H

#include "compiler/lowering/MatmulEmitter.h"
#include "compiler/tuning/SearchSpace.h"

namespace tern {

/// Replaces `op` with the loops of the rowlut strategy reading idx3 weights
/// in packing::Idx3Layout.
mlir::LogicalResult lowerRowLutMatmul(MatmulOp op, const MatmulOperands &operands,
                                      const TargetDesc *target, mlir::RewriterBase &rewriter);

/// The documented default parameters of the rowlut strategy for a target
/// whose widest vector has `lanes` 32-bit lanes and `registers` vector
/// registers: as many output rows per register tile as leave four registers
/// free (6 with AVX2, 16, the most, with AVX-512), slabs of 16 groups (27
/// KiB of tables, which stay in L1), and 2 tasks (each builds its own
/// tables, so more tasks cost more tables; kernel choice asks for one a
/// thread where it knows more threads).
KernelAttr defaultRowLutKernel(mlir::MLIRContext *ctx, int64_t lanes, int64_t registers);

/// What the tuner tries (m > 1 only: a table serves 32 activation rows):
/// register tiles of 2 to 16 output rows, slabs of 8 to 32 groups, 1 to 8
/// tasks.
SearchSpace rowLutSearchSpace(int64_t lanes);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_ROWLUT_ROWLUTMATMUL_H
