//===- ArtifactWriter.h - what kernel and model artifacts share --*- C++ -*-===//
#ifndef TERN_COMPILER_PIPELINE_ARTIFACTWRITER_H
#define TERN_COMPILER_PIPELINE_ARTIFACTWRITER_H

#include "targets/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

#include <functional>
#include <string>

namespace tern {

std::string joinPath(llvm::StringRef dir, llvm::StringRef name);
llvm::Error writeFile(const std::string &path, llvm::StringRef contents);
/// The runtime's checksum of `bytes`, as the manifest records it.
std::string checksumHex(llvm::StringRef bytes);

/// Translates an LLVM-dialect module, optimizes it, generates code and links
/// DIR/NAME.so; with keepIntermediates also writes DIR/NAME.ll and NAME.s.
/// Returns the library's checksum.
llvm::Expected<std::string> emitSharedLibrary(mlir::ModuleOp module, const TargetDesc &target,
                                              const std::string &dir, const std::string &name,
                                              bool keepIntermediates,
                                              const std::function<void(llvm::StringRef)> &stage);

/// Translates an LLVM-dialect module for a GPU target, optimizes it and
/// writes its PTX to DIR/NAME.ptx (the CUDA driver compiles it for the GPU
/// when it is loaded). Returns the file's checksum.
llvm::Expected<std::string> emitPtxFile(mlir::ModuleOp module, const TargetDesc &target,
                                        const std::string &dir, const std::string &name);

/// The manifest's "target" object: what the runtime checks before loading.
void writeTargetJson(llvm::json::OStream &json, const TargetDesc &target);

} // namespace tern

#endif // TERN_COMPILER_PIPELINE_ARTIFACTWRITER_H
