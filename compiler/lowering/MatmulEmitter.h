//===- MatmulEmitter.h - what every matmul lowering shares ------*- C++ -*-===//
//
// The strategies differ in how they accumulate sum_k a[m][k] w[n][k]; around
// that they share the operands, the parallel loop over blocks of output rows,
// the register tiles of activation rows, the streamed weight loads and the
// scaled (and, on the last block, masked) stores of the results.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_LOWERING_MATMULEMITTER_H
#define TERN_COMPILER_LOWERING_MATMULEMITTER_H

#include "compiler/packing/Layouts.h"
#include "dialects/tern/TernDialect.h"
#include "targets/Target.h"

#include "mlir/IR/PatternMatch.h"

namespace tern {

/// The operands of a tern.matmul being lowered; `weights` is an !llvm.ptr to
/// the packed bytes.
struct MatmulOperands {
  mlir::Value a, aScale, weights, weightScale, out;
};

/// Kernels that decode a block's weights (K x tile_n bytes) keep them on the
/// stack of the thread that runs the block; runtime.h promises callers at
/// most this much.
constexpr int64_t kMaxPanelBytes = 1 << 20;

class MatmulEmitter {
protected:
  /// `target` is null where the module names none (generic code).
  MatmulEmitter(MatmulOp op, const MatmulOperands &operands, const TargetDesc *target,
                mlir::RewriterBase &rewriter);

  mlir::Value index(int64_t v);
  mlir::Value i64(int64_t v);
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value toI64(mlir::Value v);
  mlir::Value zeros(mlir::VectorType type);
  mlir::Value splat(mlir::VectorType type, int64_t value);

  /// body(i) for i in [0, count), iterations spread over the runtime's threads.
  void emitParallel(mlir::Value count, llvm::function_ref<void(mlir::Value)> body);
  /// body(m0, tileRows) over [lower, upper): tiles of tileM rows while they
  /// fit, then single rows.
  void emitRowTiles(mlir::Value lower, mlir::Value upper, int64_t tileM,
                    llvm::function_ref<void(mlir::Value, int64_t)> body);
  /// emit(validRows) for block `block` of `blocks` blocks of tileN of the N
  /// output rows: the last block may hold fewer rows.
  void emitForValidRows(mlir::Value block, int64_t blocks, int64_t tileN,
                        llvm::function_ref<void(int64_t)> emit);
  /// A vector of packed weights at byte `offset`, asking for the bytes
  /// `prefetchBytes` further on (0: none) since decoding streams them once.
  mlir::Value loadWeights(mlir::VectorType type, mlir::Value offset, int64_t prefetchBytes);
  void prefetchWeights(mlir::Value offset) { prefetchWeights(offset, prefetchLocality); }
  /// With LLVM's locality hint 0-3 (3: into L1, 2: into L2).
  void prefetchWeights(mlir::Value offset, int locality);
  /// Prefetches every cache line of [offset, offset + bytes): the start of a
  /// block, which the steady-state prefetches of the previous block only
  /// cover when that block ran on the same thread.
  void prefetchRange(mlir::Value offset, int64_t bytes);
  /// Where block `block`'s part of each K slab of `layout` starts (one
  /// offset when K is not slabbed: the block's).
  llvm::SmallVector<mlir::Value> slabStarts(const packing::MfreeLayout &layout, mlir::Value block);
  /// The offset of chunk `chunk` of the block whose slabStarts are `starts`:
  /// in slab `slab` where the caller knows it, else (slab < 0) in the slab
  /// the chunk index selects at run time.
  mlir::Value chunkOffset(const packing::MfreeLayout &layout, llvm::ArrayRef<mlir::Value> starts,
                          mlir::Value chunk, int64_t slab);
  /// The weights of plane `plane` of a vector of i2 bytes in
  /// packing::MfreeLayout (tern.unpack_i2): w + 1 in {0, 1, 2}, or w itself
  /// with bias -1.
  mlir::Value unpackI2(mlir::Value packed, int64_t plane, int64_t bias = 0);
  /// (x > 85) + (x > 170) per byte: the base-3 digit of x, in {0, 1, 2}.
  mlir::Value base3Digit(mlir::Value x);
  /// 3 x mod 256 per byte, in two byte adds: x_{s+1} from x_s, so that the
  /// digit of x_s is weight s of a base3 byte x_0. An empty asm statement
  /// hides the result from LLVM, which would otherwise fold the chain x_1,
  /// x_2, ... into byte multiplications by 9, 27 and 81 that x86 can only
  /// emulate.
  mlir::Value times3(mlir::Value x);
  /// `v` passed through an empty asm statement (register class
  /// `constraint`), so that LLVM cannot see how it was computed; `v` itself
  /// where the module names no target.
  mlir::Value hidden(mlir::Value v, llvm::StringRef constraint);
  /// a_scale[m] * w_scale in every lane of a `lanes`-wide f32 vector.
  mlir::Value divisor(mlir::Value m, int64_t lanes);
  /// out[m][n0 + i] = sums[i] / divisor for i < min(validRows, lanes).
  void storeScaled(mlir::Value m, mlir::Value n0, mlir::Value sums, mlir::Value divisor,
                   int64_t validRows);
  /// out[m][nRow] = sum / (a_scale[m] * w_scale) for an int32 `sum`, if m <
  /// rows and nRow < N: one thread's result in the GPU strategies.
  void storeOneIfInside(mlir::Value m, mlir::Value nRow, mlir::Value rows, mlir::Value sum);

  mlir::RewriterBase &b;
  mlir::Location loc;
  MatmulOp op;
  mlir::Value a, aScale, weights, weightScale, out;
  int64_t n, k;
  int prefetchLocality; // LLVM's hint for prefetchWeights
  llvm::StringRef registerConstraint; // of vectors in asm; empty: no target, no asm barrier
};

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MATMULEMITTER_H
