//===- VectorLoops.h - loops over vectors with a remainder ------*- C++ -*-===//
//
// The model-op lowerings write each loop body once, for a vector type: the
// helpers run it over full vectors of the target's width and then over the
// remainder one element at a time (as vectors of 1), so ragged sizes need no
// second copy of the body.
//
// For a GPU the same bodies run in blocks: each task of `parallel` is a block
// of threads, `forEach` and `distribute` deal the elements out to the threads
// in turn, and `reduce` sums each thread's elements, then the threads' sums
// across each warp by xor shuffles (offsets 16, 8, 4, 2, 1) and the warps'
// sums in order. Without a GpuMapping the host runs each block's threads in
// loops with exactly that order of operations, so the host's results are the
// GPU's bit for bit and the kernels' logic is tested where there is no GPU.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_LOWERING_MODEL_VECTORLOOPS_H
#define TERN_COMPILER_LOWERING_MODEL_VECTORLOOPS_H

#include "targets/Target.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

namespace tern {

/// How the model-op lowerings lay out their loops.
struct LoopStyle {
  /// f32 lanes of a CPU vector (1 in blocks).
  int64_t lanes = 1;
  /// Vector registers of a CPU: how many accumulators a loop may keep.
  int64_t registers = 16;
  /// Threads of a block when tasks run as GPU blocks; 0 on CPUs.
  int64_t blockThreads = 0;
  /// The GPU's threads and shuffles; null with blockThreads set: the host
  /// runs the blocks' threads in loops.
  const GpuMapping *gpu = nullptr;

  bool inBlocks() const { return blockThreads > 0; }
};

class VectorLoops {
public:
  VectorLoops(mlir::OpBuilder &b, mlir::Location loc, LoopStyle style)
      : b(b), loc(loc), style(style), lanes(style.inBlocks() ? 1 : style.lanes) {}

  mlir::Value index(int64_t v);
  mlir::Value f32(float v);
  int64_t width() const { return lanes; }
  int64_t registers() const { return style.registers; }
  bool inBlocks() const { return style.inBlocks(); }

  /// Elements of `element` per vector: the register width the f32 lanes make.
  int64_t lanesFor(mlir::Type element) const;

  /// body(j, type) for j over [begin, end).
  void forEach(mlir::Value begin, mlir::Value end, mlir::Type element,
               llvm::function_ref<void(mlir::Value, mlir::VectorType)> body);
  /// The `kind` (add or maximumf) of every element body(j, type) yields over
  /// [begin, end), starting from `init`, in `element` (f32 or f64).
  mlir::Value reduce(mlir::Value begin, mlir::Value end, mlir::vector::CombiningKind kind,
                     double init, mlir::Type element,
                     llvm::function_ref<mlir::Value(mlir::Value, mlir::VectorType)> body);
  /// The f32 version, the common case.
  mlir::Value reduce(mlir::Value begin, mlir::Value end, mlir::vector::CombiningKind kind,
                     float init, llvm::function_ref<mlir::Value(mlir::Value, mlir::VectorType)> body);
  /// `count` f32 reductions in one pass over [begin, end): body(j, type)
  /// yields an element of each. Not in GPU blocks.
  llvm::SmallVector<mlir::Value>
  reduceEach(mlir::Value begin, mlir::Value end, mlir::vector::CombiningKind kind, float init,
             int64_t count,
             llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value, mlir::VectorType)> body);
  /// body(i) for i in [0, count) as an scf.parallel the runtime spreads over
  /// its threads (or GPU blocks).
  void parallel(mlir::Value count, llvm::function_ref<void(mlir::Value)> body);
  /// The same for a sequential loop (every thread of a block runs it).
  void loop(mlir::Value begin, mlir::Value end, llvm::function_ref<void(mlir::Value)> body);
  /// body(j) for j in [begin, end), in blocks dealt out to the threads; what
  /// the threads wrote is visible to all of them afterwards.
  void distribute(mlir::Value begin, mlir::Value end, llvm::function_ref<void(mlir::Value)> body);

  /// Loads `type` from memref[indices] converted to f32 (bf16/f16 are widened).
  mlir::Value loadF32(mlir::Value memref, mlir::ValueRange indices, mlir::VectorType type);
  /// Loads memref[indices] (as many elements as `type` has) widened to `type`.
  mlir::Value loadAs(mlir::Value memref, mlir::ValueRange indices, mlir::VectorType type);
  /// exp of an f64 vector to within about one unit in the last place: range
  /// reduction by ln 2 (Cody-Waite) and a degree-13 Taylor polynomial.
  mlir::Value expF64(mlir::Value x);
  /// {sin x, cos x} of an f64 scalar to within about an ulp for |x| < 2^20,
  /// where there is no libm (GPUs): Cody-Waite reduction by pi/2 and Taylor
  /// polynomials on [-pi/4, pi/4].
  std::pair<mlir::Value, mlir::Value> sinCosF64(mlir::Value x);
  mlir::Value splat(mlir::Value scalar, mlir::VectorType type);
  mlir::VectorType f32Vector(mlir::VectorType like);
  /// `count` elements all threads of a block share (GPU shared memory, or the
  /// stack of the thread that runs the block), one buffer per `name`.
  mlir::Value blockBuffer(llvm::StringRef name, mlir::Type element, int64_t count);

private:
  llvm::SmallVector<mlir::Value>
  reduceEach(mlir::Value begin, mlir::Value end, mlir::vector::CombiningKind kind, double init,
             mlir::Type element, int64_t count,
             llvm::function_ref<llvm::SmallVector<mlir::Value>(mlir::Value, mlir::VectorType)> body);
  mlir::Value combine(mlir::vector::CombiningKind kind, mlir::Value a, mlir::Value x);
  mlir::Value blockReduce(mlir::Value begin, mlir::Value end, mlir::vector::CombiningKind kind,
                          mlir::Value init,
                          llvm::function_ref<mlir::Value(mlir::Value, mlir::VectorType)> body);
  /// The scalar `value` of the lane `offset` away (xor) in this thread's warp.
  mlir::Value shuffleXor(mlir::Value value, int64_t offset);
  void barrier();

  mlir::OpBuilder &b;
  mlir::Location loc;
  LoopStyle style;
  int64_t lanes;
};

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MODEL_VECTORLOOPS_H
