//===- CpuFeaturesTest.cpp - host feature detection -----------------------===//
#include "runtime/include/tern/runtime.h"
#include "runtime/src/CpuFeatures.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace {

/// The flags the kernel reports in /proc/cpuinfo, an independent source.
std::string procCpuFlags() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("flags", 0) == 0 || line.rfind("Features", 0) == 0)
      return " " + line.substr(line.find(':') + 1) + " ";
  return "";
}

TEST(CpuFeaturesTest, UnknownNamesAreUnknown) {
  EXPECT_EQ(tern_cpu_has_feature("avx9000"), -1);
  EXPECT_EQ(tern_cpu_has_feature(nullptr), -1);
}

#if defined(__x86_64__)
TEST(CpuFeaturesTest, AgreesWithProcCpuinfo) {
  std::string flags = procCpuFlags();
  ASSERT_FALSE(flags.empty());
  EXPECT_EQ(tern_cpu_has_feature("sse2"), 1);
  // LLVM name -> /proc/cpuinfo name.
  const std::pair<const char *, const char *> names[] = {
      {"avx2", "avx2"},         {"fma", "fma"},           {"bmi2", "bmi2"},
      {"avx512f", "avx512f"},   {"avx512bw", "avx512bw"}, {"avx512vl", "avx512vl"},
      {"avx512vnni", "avx512_vnni"}, {"avxvnni", "avx_vnni"}, {"avx512vbmi", "avx512vbmi"},
      {"ssse3", "ssse3"},       {"sse4.2", "sse4_2"},     {"f16c", "f16c"},
      {"gfni", "gfni"},
      // Linux lists AMX only where it enables the tile state, and grants
      // every process the permission that the runtime asks for.
      {"amx-tile", "amx_tile"}, {"amx-int8", "amx_int8"},
  };
  for (auto [llvmName, procName] : names)
    EXPECT_EQ(tern_cpu_has_feature(llvmName),
              flags.find(std::string(" ") + procName + " ") != std::string::npos ? 1 : 0)
        << llvmName;
  EXPECT_STREQ(tern_host_arch(), "x86_64");
  EXPECT_FALSE(tern::rt::hostCpuName().empty());
}
#endif

TEST(CpuFeaturesTest, FeatureListMatchesQueries) {
  std::string list = std::string(",") + tern_cpu_features() + ",";
  for (const tern::rt::CpuFeature &f : tern::rt::hostCpuFeatures())
    EXPECT_EQ(list.find(std::string(",") + f.name + ",") != std::string::npos, f.present) << f.name;
}

} // namespace
