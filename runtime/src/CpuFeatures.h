//===- CpuFeatures.h - what the host CPU can execute ------------*- C++ -*-===//
#ifndef TERN_RUNTIME_CPUFEATURES_H
#define TERN_RUNTIME_CPUFEATURES_H

#include <string>
#include <vector>

namespace tern::rt {

struct CpuFeature {
  const char *name; // LLVM's spelling
  bool present;
};

/// Every feature the runtime can check on this architecture, with its state
/// on the host (read once, with cpuid/xgetbv or the auxiliary vector).
const std::vector<CpuFeature> &hostCpuFeatures();
/// 1 present, 0 absent, -1 unknown to the runtime.
int hostHasFeature(const std::string &name);
/// The CPU's marketing name, for messages.
const std::string &hostCpuName();

} // namespace tern::rt

#endif // TERN_RUNTIME_CPUFEATURES_H
