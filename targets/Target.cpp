//===- Target.cpp - target lookup and description -------------------------===//
#include "targets/Target.h"

#include "mlir/Dialect/LLVMIR/LLVMAttrs.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

namespace tern {

const TargetBackend &getX86Backend();
const TargetBackend &getAArch64Backend();
const TargetBackend &getNvptxBackend();

bool TargetDesc::hasFeature(llvm::StringRef name) const {
  return llvm::is_contained(features, name);
}

std::string TargetDesc::featureString() const {
  std::string s;
  for (const std::string &f : features)
    s += (s.empty() ? "+" : ",+") + f;
  return s;
}

bool TargetDesc::runsOnHost() const {
  llvm::Triple host(llvm::sys::getProcessTriple());
  if (host.getArchName() != arch)
    return false;
  llvm::StringMap<bool> hostFeatures = llvm::sys::getHostCPUFeatures();
  return llvm::all_of(features, [&](const std::string &f) {
    auto it = hostFeatures.find(f);
    if (it != hostFeatures.end())
      return it->second;
    // Architectural features that LLVM does not report for the host.
    static const char *const baseline[] = {"64bit", "x87", "mmx", "fxsr", "cmov", "cx8",
                                           "sse", "sse2", "neon", "fp-armv8"};
    return llvm::is_contained(baseline, f);
  });
}

std::string TargetDesc::describe() const {
  std::string s = arch + " " + cpu;
  if (!tuneCpu.empty() && tuneCpu != cpu)
    s += " tuned for " + tuneCpu;
  if (ternaryDot)
    s += ", tern.tdot emulated";
  return s;
}

const TargetBackend *lookupTargetBackend(llvm::StringRef arch) {
  if (arch == "x86_64")
    return &getX86Backend();
  if (arch == "aarch64")
    return &getAArch64Backend();
  if (arch == "nvptx64")
    return &getNvptxBackend();
  return nullptr;
}

void initializeLLVMTargets() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    llvm::InitializeAllAsmParsers();
  });
}

llvm::Expected<TargetDesc> resolveTarget(llvm::StringRef name, llvm::StringRef cpu,
                                         llvm::StringRef features) {
  initializeLLVMTargets();
  std::string arch = name.str();
  if (name == "host") {
    arch = llvm::Triple(llvm::sys::getProcessTriple()).getArchName().str();
    if (!cpu.empty() && cpu != "host")
      return llvm::createStringError("--cpu cannot be combined with --target host (host means the "
                                     "CPU of this machine); use --target " + arch + " --cpu " +
                                     cpu.str());
    cpu = "host";
  }
  if (name == "nvptx")
    arch = "nvptx64";
  const TargetBackend *backend = lookupTargetBackend(arch);
  if (!backend)
    return llvm::createStringError("unknown target '" + name.str() +
                                   "': expected host, x86_64, aarch64 or nvptx");
  std::vector<std::string> edits;
  for (llvm::StringRef edit : llvm::split(features, ',')) {
    edit = edit.trim();
    if (edit.empty())
      continue;
    if (edit.size() < 2 || (edit[0] != '+' && edit[0] != '-'))
      return llvm::createStringError("feature edit '" + edit.str() +
                                     "' must start with '+' or '-' (e.g. +avx512vnni)");
    edits.push_back(edit.str());
  }
  return backend->resolve(cpu, edits);
}

static constexpr llvm::StringLiteral kTargetAttr = "tern.target";
static constexpr llvm::StringLiteral kTuneCpuAttr = "tern.tune_cpu";
static constexpr llvm::StringLiteral kTernaryDotAttr = "tern.ternary_dot";

void setModuleTarget(mlir::ModuleOp module, const TargetDesc &target) {
  mlir::MLIRContext *ctx = module.getContext();
  llvm::SmallVector<llvm::StringRef> features(target.features.begin(), target.features.end());
  std::vector<std::string> plus;
  for (const std::string &f : target.features)
    plus.push_back("+" + f);
  llvm::SmallVector<llvm::StringRef> plusRefs(plus.begin(), plus.end());
  auto attr = mlir::LLVM::TargetAttr::get(
      ctx, mlir::StringAttr::get(ctx, target.triple), mlir::StringAttr::get(ctx, target.cpu),
      mlir::LLVM::TargetFeaturesAttr::get(ctx, plusRefs));
  module->setAttr(kTargetAttr, attr);
  module->setAttr(kTuneCpuAttr, mlir::StringAttr::get(ctx, target.tuneCpu));
  if (target.ternaryDot)
    module->setAttr(kTernaryDotAttr, mlir::UnitAttr::get(ctx));
  else
    module->removeAttr(kTernaryDotAttr);
}

llvm::Expected<TargetDesc> getModuleTarget(mlir::ModuleOp module) {
  auto attr = module->getAttrOfType<mlir::LLVM::TargetAttr>(kTargetAttr);
  if (!attr)
    return llvm::createStringError("module has no 'tern.target' attribute naming its target");
  TargetDesc target;
  target.triple = attr.getTriple().str();
  target.arch = llvm::Triple(target.triple).getArchName().str();
  target.cpu = attr.getChip().str();
  if (auto tune = module->getAttrOfType<mlir::StringAttr>(kTuneCpuAttr))
    target.tuneCpu = tune.str();
  else
    target.tuneCpu = target.cpu;
  if (auto features = attr.getFeatures())
    for (mlir::StringAttr f : features.getFeatures()) {
      llvm::StringRef name = f.getValue();
      if (!name.consume_front("+"))
        continue;
      target.features.push_back(name.str());
    }
  llvm::sort(target.features);
  target.ternaryDot = module->hasAttr(kTernaryDotAttr);
  if (!lookupTargetBackend(target.arch))
    return llvm::createStringError("module targets unsupported architecture '" + target.arch + "'");
  return target;
}

} // namespace tern
