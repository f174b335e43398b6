//===- ArtifactWriter.cpp -------------------------------------------------===//
#include "compiler/pipeline/ArtifactWriter.h"
#include "compiler/pipeline/Emitter.h"
#include "runtime/include/tern/runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

namespace tern {

std::string joinPath(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, name);
  return std::string(p);
}

llvm::Error writeFile(const std::string &path, llvm::StringRef contents) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write " + path + ": " + ec.message());
  os << contents;
  os.close();
  if (os.has_error())
    return llvm::createStringError("cannot write " + path + ": " + os.error().message());
  return llvm::Error::success();
}

std::string checksumHex(llvm::StringRef bytes) {
  return llvm::formatv("{0:x-16}", tern_checksum64(bytes.data(), bytes.size())).str();
}

llvm::Expected<std::string> emitSharedLibrary(mlir::ModuleOp module, const TargetDesc &target,
                                              const std::string &dir, const std::string &name,
                                              bool keepIntermediates,
                                              const std::function<void(llvm::StringRef)> &stage) {
  llvm::LLVMContext llvmContext;
  stage("optimizing");
  auto llvmModule = translateAndOptimize(module, llvmContext, target);
  if (!llvmModule)
    return llvmModule.takeError();
  if (keepIntermediates) {
    std::string text;
    llvm::raw_string_ostream os(text);
    (*llvmModule)->print(os, nullptr);
    if (llvm::Error e = writeFile(joinPath(dir, name + ".ll"), text))
      return std::move(e);
    auto assembly = emitNative(**llvmModule, target, NativeFileKind::Assembly);
    if (!assembly)
      return assembly.takeError();
    if (llvm::Error e = writeFile(joinPath(dir, name + ".s"), *assembly))
      return std::move(e);
  }
  stage("generating code");
  auto object = emitNative(**llvmModule, target, NativeFileKind::Object);
  if (!object)
    return object.takeError();
  std::string objectPath = joinPath(dir, name + ".o");
  if (llvm::Error e = writeFile(objectPath, *object))
    return std::move(e);
  stage("linking");
  std::string libraryPath = joinPath(dir, name + ".so");
  llvm::Error linked = linkSharedLibrary({objectPath}, libraryPath, target);
  llvm::sys::fs::remove(objectPath);
  if (linked)
    return std::move(linked);
  auto library = llvm::MemoryBuffer::getFile(libraryPath);
  if (!library)
    return llvm::createStringError("cannot read back " + libraryPath);
  return checksumHex((*library)->getBuffer());
}

llvm::Expected<std::string> emitPtxFile(mlir::ModuleOp module, const TargetDesc &target,
                                        const std::string &dir, const std::string &name) {
  llvm::LLVMContext llvmContext;
  auto llvmModule = translateAndOptimize(module, llvmContext, target);
  if (!llvmModule)
    return llvmModule.takeError();
  auto ptx = emitNative(**llvmModule, target, NativeFileKind::Assembly);
  if (!ptx)
    return ptx.takeError();
  if (llvm::Error e = writeFile(joinPath(dir, name + ".ptx"), *ptx))
    return std::move(e);
  return checksumHex(*ptx);
}

void writeTargetJson(llvm::json::OStream &json, const TargetDesc &target) {
  json.attributeObject("target", [&] {
    json.attribute("arch", target.arch);
    json.attribute("triple", target.triple);
    json.attribute("cpu", target.cpu);
    json.attribute("tune_cpu", target.tuneCpu);
    json.attributeArray("features", [&] {
      for (const std::string &f : target.features)
        json.value(f);
    });
  });
}

} // namespace tern
