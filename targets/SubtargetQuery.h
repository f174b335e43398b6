//===- SubtargetQuery.h - asking LLVM what a CPU supports -------*- C++ -*-===//
//
// Internal to targets/: the backends resolve CPUs and feature edits by asking
// LLVM's own subtarget tables, so that a target description always agrees with
// what the code generator will assume.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TARGETS_SUBTARGETQUERY_H
#define TERN_TARGETS_SUBTARGETQUERY_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace tern {

/// The members of `candidates` that LLVM enables for (triple, cpu, features),
/// sorted. Fails with a clear message for a CPU LLVM does not know.
llvm::Expected<std::vector<std::string>>
querySubtargetFeatures(llvm::StringRef triple, llvm::StringRef cpu, llvm::StringRef featureString,
                       llvm::ArrayRef<llvm::StringRef> candidates);

/// The members of `candidates` enabled for `baseCpu`, then (with `fromHost`)
/// set as this machine has them, then edited by the user's "+f"/"-f" list
/// (names outside `candidates` are rejected), closed under LLVM's implications.
llvm::Expected<std::vector<std::string>>
resolveFeatures(llvm::StringRef arch, llvm::StringRef triple, llvm::StringRef baseCpu,
                bool fromHost, llvm::ArrayRef<std::string> edits,
                llvm::ArrayRef<llvm::StringRef> candidates);

} // namespace tern

#endif // TERN_TARGETS_SUBTARGETQUERY_H
