//===- X86Target.cpp - the x86-64 backend ---------------------------------===//
//
// Code is generated for a micro-architecture level (x86-64-v2/v3/v4) plus the
// extensions Tern uses (VNNI, VBMI, ...), tuned for the actual CPU. Every
// feature in the description is one the runtime can check with cpuid, so an
// artifact never starts on a machine that would die of SIGILL.
//
//===----------------------------------------------------------------------===//
#include "targets/SubtargetQuery.h"
#include "targets/Target.h"
#include "targets/x86/X86Target.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/IR/Function.h"
#include "llvm/TargetParser/Host.h"

namespace tern {
namespace {

// The x86 features Tern may enable; runtime/src/CpuFeatures.cpp detects the
// same list (tests/unit/TargetTest.cpp keeps the two equal).
const llvm::StringRef kX86Features[] = {
    "64bit",      "x87",         "mmx",          "fxsr",        "cmov",       "cx8",
    "sse",        "sse2",        "sse3",         "pclmul",      "ssse3",      "fma",
    "cx16",       "sse4.1",      "sse4.2",       "crc32",       "movbe",      "popcnt",
    "aes",        "xsave",       "avx",          "f16c",        "sahf",       "lzcnt",
    "bmi",        "avx2",        "bmi2",         "adx",         "sha",        "avx512f",
    "evex512",    "avx512dq",    "avx512ifma",   "avx512cd",    "avx512bw",   "avx512vl",
    "avx512vbmi", "avx512vbmi2", "gfni",         "vaes",        "vpclmulqdq", "avx512vnni",
    "avx512bitalg", "avx512vpopcntdq", "avxvnni", "avx512bf16", "amx-tile", "amx-int8",
};

// Micro-architecture levels, best first.
const llvm::StringRef kLevels[] = {"x86-64-v4", "x86-64-v3", "x86-64-v2", "x86-64"};

class X86Backend final : public TargetBackend {
public:
  llvm::StringRef arch() const override { return "x86_64"; }
  llvm::StringRef defaultTriple() const override { return "x86_64-unknown-linux-gnu"; }

  llvm::Expected<TargetDesc> resolve(llvm::StringRef cpu,
                                     llvm::ArrayRef<std::string> edits) const override {
    std::string baseCpu, tuneCpu;
    if (cpu == "host") {
      baseCpu = "x86-64";
      tuneCpu = llvm::sys::getHostCPUName().str();
    } else {
      baseCpu = tuneCpu = cpu.empty() ? "x86-64-v3" : cpu.str();
    }
    auto enabled = resolveFeatures(arch(), defaultTriple(), baseCpu, cpu == "host", edits,
                                   kX86Features);
    if (!enabled)
      return enabled.takeError();
    TargetDesc desc;
    desc.arch = arch().str();
    desc.triple = defaultTriple().str();
    desc.tuneCpu = tuneCpu;
    desc.features = std::move(*enabled);
    for (llvm::StringRef level : kLevels) {
      auto levelFeatures = querySubtargetFeatures(defaultTriple(), level, "", kX86Features);
      if (!levelFeatures)
        return levelFeatures.takeError();
      if (llvm::all_of(*levelFeatures, [&](const std::string &f) { return desc.hasFeature(f); })) {
        desc.cpu = level.str();
        break;
      }
    }
    return desc;
  }

  int64_t vectorRegisters(const TargetDesc &target) const override {
    return target.hasFeature("avx512f") ? 32 : 16;
  }

  int64_t vectorLanes(const TargetDesc &target) const override {
    if (target.hasFeature("avx512f") && target.hasFeature("avx512bw"))
      return 16;
    if (target.hasFeature("avx2"))
      return 8;
    return 4;
  }

  void populateVectorOpPatterns(const TargetDesc &target,
                                mlir::RewritePatternSet &patterns) const override {
    populateX86VectorOpPatterns(target, patterns);
  }

  int64_t nativeVdotLhsMax(const TargetDesc &target, int64_t lanes) const override {
    return x86NativeVdotLhsMax(target, lanes);
  }

  bool prefersInt16Vdot(const TargetDesc &target, int64_t lanes) const override {
    return x86PrefersInt16Vdot(target, lanes);
  }

  int weightPrefetchLocality(const TargetDesc &target) const override {
    // prefetchnta streams well on AMD's cores (Zen 5 here); on an Intel Xeon
    // here it read 5 GB/s where prefetcht1 read 15 (a thread's DRAM stream),
    // so elsewhere weights are prefetched into L2.
    llvm::StringRef tune = target.tuneCpu;
    bool amd = tune.starts_with("znver") || tune.starts_with("bdver") || tune.starts_with("btver");
    return amd ? 0 : 2;
  }

  bool prefersWordLoadsOfBytes(const TargetDesc &target) const override {
    // rowlut's lookups (a byte, then two 32-byte table halves) ran at about
    // two loads a cycle on Zen 3; there 8 bytes a load shifted apart took a
    // microbenchmark of its loop from 208.8 to 245.6 GMAC/s, while on an
    // Intel Xeon (three loads a cycle) it went from 247 to 233 (README).
    return target.tuneCpu == "znver3";
  }

  llvm::StringRef vectorRegisterConstraint(const TargetDesc &target) const override {
    return target.hasFeature("avx512f") ? "v" : "x"; // v: all 32 EVEX registers
  }

  void configureFunction(const TargetDesc &target, llvm::Function &function) const override {
    // Without these LLVM splits 512-bit vectors on CPUs it tunes for 256 bits.
    if (vectorLanes(target) == 16) {
      function.addFnAttr("prefer-vector-width", "512");
      function.addFnAttr("min-legal-vector-width", "512");
    }
  }
};

} // namespace

const TargetBackend &getX86Backend() {
  static const X86Backend backend;
  return backend;
}

llvm::ArrayRef<llvm::StringRef> x86KnownFeatures() { return kX86Features; }

} // namespace tern
