//===- RuntimeContext.h - the runtime argument of generated functions -*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_RUNTIMECONTEXT_H
#define TERN_COMPILER_LOWERING_RUNTIMECONTEXT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace tern {

/// The argument attribute that marks an entry point's runtime pointer: what
/// parallel loops are dispatched and GPU kernels launched through.
inline constexpr llvm::StringLiteral kRuntimeContextAttr = "tern.runtime_context";

/// `func`'s !llvm.ptr argument marked kRuntimeContextAttr, or null.
inline mlir::Value findRuntimeContext(mlir::func::FuncOp func) {
  for (mlir::BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), kRuntimeContextAttr) &&
        mlir::isa<mlir::LLVM::LLVMPointerType>(arg.getType()))
      return arg;
  return {};
}

} // namespace tern

#endif // TERN_COMPILER_LOWERING_RUNTIMECONTEXT_H
