//===- SubtargetQuery.cpp -------------------------------------------------===//
#include "targets/SubtargetQuery.h"
#include "targets/Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>

namespace tern {

llvm::Expected<std::vector<std::string>>
querySubtargetFeatures(llvm::StringRef tripleName, llvm::StringRef cpu,
                       llvm::StringRef featureString, llvm::ArrayRef<llvm::StringRef> candidates) {
  initializeLLVMTargets();
  llvm::Triple triple(tripleName);
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("LLVM has no backend for " + tripleName.str() + ": " + error);
  // Validate the CPU first: LLVM would only warn and fall back to a default.
  std::unique_ptr<llvm::MCSubtargetInfo> probe(target->createMCSubtargetInfo(triple, "", ""));
  if (!probe->isCPUStringValid(cpu))
    return llvm::createStringError("unknown CPU '" + cpu.str() + "' for " +
                                   triple.getArchName().str() +
                                   " (run `llc -march=" + triple.getArchName().str() +
                                   " -mcpu=help` for the list)");
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target->createMCSubtargetInfo(triple, cpu, featureString));
  std::vector<std::string> enabled;
  for (llvm::StringRef f : candidates)
    if (sti->checkFeatures(("+" + f).str()))
      enabled.push_back(f.str());
  llvm::sort(enabled);
  return enabled;
}

llvm::Expected<std::vector<std::string>>
resolveFeatures(llvm::StringRef arch, llvm::StringRef triple, llvm::StringRef baseCpu,
                bool fromHost, llvm::ArrayRef<std::string> edits,
                llvm::ArrayRef<llvm::StringRef> candidates) {
  std::vector<std::string> featureString;
  if (fromHost) {
    llvm::StringMap<bool> host = llvm::sys::getHostCPUFeatures();
    for (llvm::StringRef f : candidates) {
      auto it = host.find(f);
      if (it != host.end())
        featureString.push_back((it->second ? "+" : "-") + f.str());
    }
  }
  for (const std::string &edit : edits) {
    llvm::StringRef name = llvm::StringRef(edit).drop_front();
    if (!llvm::is_contained(candidates, name)) {
      std::string known;
      for (llvm::StringRef c : candidates)
        known += (known.empty() ? "" : " ") + c.str();
      return llvm::createStringError("unknown " + arch.str() + " feature '" + name.str() +
                                     "'; Tern knows: " + known);
    }
    featureString.push_back(edit);
  }
  return querySubtargetFeatures(triple, baseCpu, llvm::join(featureString, ","), candidates);
}

} // namespace tern
