//===- Emitter.cpp --------------------------------------------------------===//
#include "compiler/pipeline/Emitter.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#ifndef TERN_LD_LLD_PATH
#define TERN_LD_LLD_PATH "ld.lld"
#endif

namespace tern {

static llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetDesc &target) {
  initializeLLVMTargets();
  llvm::Triple triple(target.triple);
  std::string error;
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    return llvm::createStringError("no LLVM backend for " + target.triple + ": " + error);
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, target.cpu, target.featureString(), options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return llvm::createStringError("LLVM could not create a target machine for " +
                                   target.describe());
  return machine;
}

llvm::Expected<std::unique_ptr<llvm::Module>>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &context, const TargetDesc &target) {
  auto machine = createTargetMachine(target);
  if (!machine)
    return machine.takeError();
  std::unique_ptr<llvm::Module> llvmModule = mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return llvm::createStringError("translation of the LLVM dialect to LLVM IR failed");
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());
  const TargetBackend *backend = lookupTargetBackend(target.arch);
  std::string features = target.featureString();
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", target.cpu);
    f.addFnAttr("target-features", features);
    f.addFnAttr("tune-cpu", target.tuneCpu);
    f.addFnAttr(llvm::Attribute::NoUnwind);
    backend->configureFunction(target, f);
  }
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return llvm::createStringError("the generated LLVM IR is invalid");

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(machine->get());
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager passes = builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  passes.run(*llvmModule, mam);
  return llvmModule;
}

llvm::Expected<std::string> emitNative(llvm::Module &module, const TargetDesc &target,
                                       NativeFileKind kind) {
  auto machine = createTargetMachine(target);
  if (!machine)
    return machine.takeError();
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager passes;
  auto fileType = kind == NativeFileKind::Object ? llvm::CodeGenFileType::ObjectFile
                                                 : llvm::CodeGenFileType::AssemblyFile;
  if ((*machine)->addPassesToEmitFile(passes, stream, nullptr, fileType))
    return llvm::createStringError("the code generator for " + target.triple +
                                   " cannot emit this file type");
  passes.run(module);
  return std::string(buffer.str());
}

llvm::Error linkSharedLibrary(const std::vector<std::string> &objects, const std::string &output,
                              const TargetDesc &target) {
  std::string linker = TERN_LD_LLD_PATH;
  if (!llvm::sys::fs::can_execute(linker)) {
    auto found = llvm::sys::findProgramByName("ld.lld-22");
    if (!found)
      found = llvm::sys::findProgramByName("ld.lld");
    if (!found)
      return llvm::createStringError("cannot find ld.lld to link " + output +
                                     " (install lld-22: apt-get install lld-22)");
    linker = *found;
  }
  llvm::StringRef emulation = llvm::StringRef(target.arch) == "aarch64" ? "aarch64linux"
                                                                        : "elf_x86_64";
  std::vector<llvm::StringRef> args = {linker, "-m", emulation, "-shared", "-z", "noexecstack",
                                       "--hash-style=gnu", "-o", output};
  for (const std::string &o : objects)
    args.push_back(o);
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, {}, 0, 0, &message);
  if (rc != 0)
    return llvm::createStringError("linking " + output + " failed (" + linker + " exited with " +
                                   std::to_string(rc) + (message.empty() ? "" : ": " + message) +
                                   ")");
  return llvm::Error::success();
}

} // namespace tern
