//===- Diagnostics.cpp ----------------------------------------------------===//
#include "compiler/pipeline/Diagnostics.h"

#include "mlir/Pass/PassManager.h"

namespace tern {

DiagnosticCollector::DiagnosticCollector(mlir::MLIRContext *ctx)
    : handler_(ctx, [this](mlir::Diagnostic &d) {
        llvm::raw_string_ostream os(messages_);
        os << (messages_.empty() ? "" : "\n") << d.getLocation() << ": " << d;
        for (mlir::Diagnostic &note : d.getNotes())
          os << "\n  note: " << note;
        return mlir::success();
      }) {}

llvm::Error DiagnosticCollector::error(llvm::StringRef what) const {
  return llvm::createStringError(what.str() + (messages_.empty() ? "" : ":\n" + messages_));
}

llvm::Error runPipeline(mlir::PassManager &pm, mlir::ModuleOp module, llvm::StringRef what) {
  DiagnosticCollector diagnostics(module.getContext());
  if (mlir::failed(pm.run(module)))
    return diagnostics.error(what);
  return llvm::Error::success();
}

} // namespace tern
