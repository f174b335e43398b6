//===- TargetTest.cpp - target resolution and the runtime's feature list ---===//
#include "runtime/src/CpuFeatures.h"
#include "targets/Target.h"
#include "targets/x86/X86Target.h"

#include "llvm/ADT/STLExtras.h"

#include <gtest/gtest.h>

using namespace tern;

namespace {

TargetDesc resolveOrDie(llvm::StringRef name, llvm::StringRef cpu = "", llvm::StringRef features = "") {
  auto t = resolveTarget(name, cpu, features);
  EXPECT_TRUE(static_cast<bool>(t)) << llvm::toString(t.takeError());
  return t ? *t : TargetDesc();
}

#if defined(__x86_64__)
TEST(TargetTest, RuntimeChecksEveryFeatureTheCompilerMayEnable) {
  // An artifact must never require a feature the runtime cannot check.
  std::vector<std::string> runtime;
  for (const rt::CpuFeature &f : rt::hostCpuFeatures())
    runtime.push_back(f.name);
  for (llvm::StringRef f : x86KnownFeatures())
    EXPECT_TRUE(llvm::is_contained(runtime, f.str())) << f.str();
  // And every level and CPU resolves only to known features.
  for (const char *cpu : {"x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4", "znver3", "znver4",
                          "sapphirerapids", "alderlake"})
    for (const std::string &f : resolveOrDie("x86_64", cpu).features)
      EXPECT_TRUE(llvm::is_contained(runtime, f)) << cpu << ": " << f;
}

TEST(TargetTest, HostRunsOnHost) {
  TargetDesc host = resolveOrDie("host");
  EXPECT_EQ(host.arch, "x86_64");
  EXPECT_TRUE(host.runsOnHost());
  for (const std::string &f : host.features)
    EXPECT_EQ(rt::hostHasFeature(f), 1) << f;
}
#endif

TEST(TargetTest, X86LevelsFollowTheCpu) {
  TargetDesc zen3 = resolveOrDie("x86_64", "znver3");
  EXPECT_EQ(zen3.cpu, "x86-64-v3");
  EXPECT_EQ(zen3.tuneCpu, "znver3");
  EXPECT_TRUE(zen3.hasFeature("avx2"));
  EXPECT_FALSE(zen3.hasFeature("avx512f"));
  EXPECT_EQ(lookupTargetBackend("x86_64")->vectorLanes(zen3), 8);

  TargetDesc zen4 = resolveOrDie("x86_64", "znver4");
  EXPECT_EQ(zen4.cpu, "x86-64-v4");
  EXPECT_TRUE(zen4.hasFeature("avx512vnni"));
  EXPECT_EQ(lookupTargetBackend("x86_64")->vectorLanes(zen4), 16);

  // Removing AVX-512F takes everything that depends on it along.
  TargetDesc noAvx512 = resolveOrDie("x86_64", "znver4", "-avx512f");
  EXPECT_EQ(noAvx512.cpu, "x86-64-v3");
  EXPECT_FALSE(noAvx512.hasFeature("avx512vnni"));
  EXPECT_FALSE(noAvx512.hasFeature("avx512bw"));

  TargetDesc plain = resolveOrDie("x86_64");
  EXPECT_EQ(plain.cpu, "x86-64-v3");
  EXPECT_EQ(lookupTargetBackend("x86_64")->vectorLanes(resolveOrDie("x86_64", "x86-64-v2")), 4);
}

TEST(TargetTest, AArch64DefaultHasDotProduct) {
  TargetDesc a76 = resolveOrDie("aarch64");
  EXPECT_EQ(a76.cpu, "cortex-a76");
  EXPECT_TRUE(a76.hasFeature("dotprod"));
  EXPECT_TRUE(a76.hasFeature("neon"));
  EXPECT_FALSE(resolveOrDie("aarch64", "cortex-a53").hasFeature("dotprod"));
#if defined(__x86_64__)
  EXPECT_FALSE(a76.runsOnHost());
#endif
}

TEST(TargetTest, ErrorsNameTheProblem) {
  auto bad = [](llvm::StringRef name, llvm::StringRef cpu, llvm::StringRef features) {
    auto t = resolveTarget(name, cpu, features);
    EXPECT_FALSE(static_cast<bool>(t));
    return t ? std::string() : llvm::toString(t.takeError());
  };
  EXPECT_EQ(bad("sparc", "", ""), "unknown target 'sparc': expected host, x86_64, aarch64 or nvptx");
  EXPECT_EQ(bad("x86_64", "pentium9", "").rfind("unknown CPU 'pentium9' for x86_64", 0), 0u);
  EXPECT_EQ(bad("aarch64", "", "+sve9").rfind("unknown aarch64 feature 'sve9'", 0), 0u);
  EXPECT_EQ(bad("x86_64", "", "avx2"), "feature edit 'avx2' must start with '+' or '-' (e.g. +avx512vnni)");
}

} // namespace
