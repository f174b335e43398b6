//===- Passes.h - model-level tern passes -----------------------*- C++ -*-===//
#ifndef TERN_COMPILER_TRANSFORMS_PASSES_H
#define TERN_COMPILER_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir::memref {
class MemRefDialect;
} // namespace mlir::memref

namespace tern {

#define GEN_PASS_DECL
#include "compiler/transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/transforms/Passes.h.inc"

} // namespace tern

#endif // TERN_COMPILER_TRANSFORMS_PASSES_H
