//===- Registration.h - dialects and passes of Tern's tools -----*- C++ -*-===//
#ifndef TERN_COMPILER_PIPELINE_REGISTRATION_H
#define TERN_COMPILER_PIPELINE_REGISTRATION_H

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace tern {

/// tern, the upstream dialects it lowers through, and their LLVM IR
/// translations.
void registerTernDialects(mlir::DialectRegistry &registry);
/// Every Tern pass and pipeline, plus the upstream passes the pipelines use.
void registerTernPasses();
/// One context for the process with every dialect of registerTernDialects
/// loaded: for tools and tests that compile many kernels.
mlir::MLIRContext &ternContext();

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_REGISTRATION_H
