//===- VectorLoops.h - loops over vectors with a remainder ------*- C++ -*-===//
//
// The model-op lowerings write each loop body once, for a vector type: the
// helpers run it over full vectors of the target's width and then over the
// remainder one element at a time (as vectors of 1), so ragged sizes need no
// second copy of the body.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_LOWERING_MODEL_VECTORLOOPS_H
#define TERN_COMPILER_LOWERING_MODEL_VECTORLOOPS_H

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"

namespace tern {

class VectorLoops {
public:
  VectorLoops(mlir::OpBuilder &b, mlir::Location loc, int64_t lanes)
      : b(b), loc(loc), lanes(lanes) {}

  mlir::Value index(int64_t v);
  mlir::Value f32(float v);
  int64_t width() const { return lanes; }

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
  /// body(i) for i in [0, count) as an scf.parallel the runtime spreads over
  /// its threads.
  void parallel(mlir::Value count, llvm::function_ref<void(mlir::Value)> body);
  /// The same for a sequential loop.
  void loop(mlir::Value begin, mlir::Value end, llvm::function_ref<void(mlir::Value)> body);

  /// Loads `type` from memref[indices] converted to f32 (bf16/f16 are widened).
  mlir::Value loadF32(mlir::Value memref, mlir::ValueRange indices, mlir::VectorType type);
  /// Loads memref[indices] (as many elements as `type` has) widened to `type`.
  mlir::Value loadAs(mlir::Value memref, mlir::ValueRange indices, mlir::VectorType type);
  /// exp of an f64 vector to within about one unit in the last place: range
  /// reduction by ln 2 (Cody-Waite) and a degree-13 Taylor polynomial.
  mlir::Value expF64(mlir::Value x);
  mlir::Value splat(mlir::Value scalar, mlir::VectorType type);
  mlir::VectorType f32Vector(mlir::VectorType like);

private:
  mlir::Value combine(mlir::vector::CombiningKind kind, mlir::Value a, mlir::Value x);

  mlir::OpBuilder &b;
  mlir::Location loc;
  int64_t lanes;
};

} // namespace tern

#endif // TERN_COMPILER_LOWERING_MODEL_VECTORLOOPS_H
