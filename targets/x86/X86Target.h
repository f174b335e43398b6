//===- X86Target.h - the x86-64 backend's entry points --------*- C++ -*-===//
#ifndef TERN_TARGETS_X86_X86TARGET_H
#define TERN_TARGETS_X86_X86TARGET_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace tern {
struct TargetDesc;

/// tern.vdot: vpdpbusd where VNNI is available (512-bit: AVX512-VNNI;
/// 128/256-bit: AVX-VNNI or AVX512-VNNI+VL), else vpmaddubsw + vpmaddwd
/// (AVX512BW, AVX2, SSSE3). tern.lookup16: pshufb (SSSE3, AVX2, AVX512BW).
/// See TargetBackend::nativeVdotLhsMax.
int64_t x86NativeVdotLhsMax(const TargetDesc &target, int64_t lanes);
/// True where int32 steps are vpmaddubsw + vpmaddwd (no VNNI at this width).
bool x86PrefersInt16Vdot(const TargetDesc &target, int64_t lanes);

void populateX86VectorOpPatterns(const TargetDesc &target, mlir::RewritePatternSet &patterns);

/// The x86 features Tern may enable (the runtime checks the same list).
llvm::ArrayRef<llvm::StringRef> x86KnownFeatures();

} // namespace tern

#endif // TERN_TARGETS_X86_X86TARGET_H
