//===- WeightPlacement.h - where each weight goes in weights.bin -*- C++ -*-===//
#ifndef TERN_COMPILER_PIPELINE_WEIGHTPLACEMENT_H
#define TERN_COMPILER_PIPELINE_WEIGHTPLACEMENT_H

#include "compiler/packing/Layouts.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace tern {

/// One named weight of the artifact, in the layout its reader expects.
struct WeightEntry {
  enum class Kind { Ternary, F32, BF16, F16, I8 };
  std::string name;
  Kind kind;
  packing::LayoutParams packed; // Ternary: how its kernel reads it
  int64_t rows = 0, cols = 0;   // cols = 0 for vectors
  int64_t layers = 0;           // 0: one tensor; else a stack of per-layer tensors
  int64_t bytes = 0;            // one tensor
  int64_t offset = 0, stride = 0;
};

/// "mfree_i2", "lut3", ... for packed weights; "f32", "bf16", "f16", "i8" otherwise.
const char *layoutName(const WeightEntry &entry);

/// Decides the layout of every tern.weight from the ops that read it (the
/// kernel of a matmul, the element type of a memref) and places them in one
/// buffer, 64-byte aligned, recording `offset`/`stride` on the ops. Readers
/// that disagree on a weight's layout are an error.
llvm::Expected<std::vector<WeightEntry>> placeWeights(mlir::ModuleOp module, int64_t layers);

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_WEIGHTPLACEMENT_H
