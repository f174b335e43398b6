//===- Emitter.h - from the LLVM dialect to native code ---------*- C++ -*-===//
#ifndef TERN_COMPILER_PIPELINE_EMITTER_H
#define TERN_COMPILER_PIPELINE_EMITTER_H

#include "targets/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace tern {

/// Translates an LLVM-dialect module to LLVM IR for `target` (triple, data
/// layout, per-function CPU, features and tuning) and optimizes it at -O3.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context, const TargetDesc &target);

enum class NativeFileKind { Object, Assembly };

/// Runs the code generator; returns the object file or assembly text.
llvm::Expected<std::string> emitNative(llvm::Module &module, const TargetDesc &target,
                                       NativeFileKind kind);

/// Links object files into a shared library with ld.lld. Undefined symbols
/// (tern_parallel_for) are resolved when the runtime loads the library.
llvm::Error linkSharedLibrary(const std::vector<std::string> &objects,
                              const std::string &output, const TargetDesc &target);

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_EMITTER_H
