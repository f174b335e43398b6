//===- Diagnostics.h - MLIR diagnostics into llvm::Error ---------*- C++ -*-===//
#ifndef TERN_COMPILER_PIPELINE_DIAGNOSTICS_H
#define TERN_COMPILER_PIPELINE_DIAGNOSTICS_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Error.h"

namespace mlir {
class PassManager;
} // namespace mlir

namespace tern {

/// Collects the diagnostics emitted while it lives, for an llvm::Error.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext *ctx);
  llvm::Error error(llvm::StringRef what) const;

private:
  std::string messages_;
  mlir::ScopedDiagnosticHandler handler_;
};

/// Runs `pm` on `module`; on failure the error carries the diagnostics.
llvm::Error runPipeline(mlir::PassManager &pm, mlir::ModuleOp module, llvm::StringRef what);

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_DIAGNOSTICS_H
