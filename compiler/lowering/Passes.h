//===- Passes.h - passes that lower tern to LLVM ----------------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_PASSES_H
#define TERN_COMPILER_LOWERING_PASSES_H

#include "mlir/Pass/Pass.h"

namespace mlir {
class DialectRegistry;
namespace amx {
class AMXDialect;
} // namespace amx
namespace arith {
class ArithDialect;
}
namespace scf {
class SCFDialect;
}
namespace vector {
class VectorDialect;
}
namespace memref {
class MemRefDialect;
}
namespace func {
class FuncDialect;
}
namespace LLVM {
class LLVMDialect;
}
namespace arm_neon {
class ArmNeonDialect;
}
namespace math {
class MathDialect;
}
} // namespace mlir

namespace tern {

#define GEN_PASS_DECL
#include "compiler/lowering/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/lowering/Passes.h.inc"

} // namespace tern

#endif // TERN_COMPILER_LOWERING_PASSES_H
