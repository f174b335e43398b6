//===- TernDialect.h - The tern dialect -------------------------*- C++ -*-===//
#ifndef TERN_DIALECTS_TERN_TERNDIALECT_H
#define TERN_DIALECTS_TERN_TERNDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/LLVMIR/LLVMTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/tern/TernDialect.h.inc"
#include "dialects/tern/TernEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/tern/TernAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/tern/TernTypes.h.inc"

#define GET_OP_CLASSES
#include "dialects/tern/TernOps.h.inc"

namespace tern {

/// Number of consecutive K values that a packing stores together; K must be a
/// multiple of it.
int64_t packingGroupSize(Packing kind);

/// Packings a strategy knows how to read.
bool strategySupportsPacking(Strategy strategy, Packing packing);
/// The strategy that reads `packing`.
Strategy strategyForPacking(Packing packing);

} // namespace tern

#endif // TERN_DIALECTS_TERN_TERNDIALECT_H
