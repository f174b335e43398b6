//===- CpuFeatures.cpp ----------------------------------------------------===//
#include "runtime/src/CpuFeatures.h"

#include <cstring>
#include <fstream>

#if defined(__x86_64__)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#elif defined(__aarch64__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace tern::rt {

#if defined(__x86_64__)
namespace {
struct Regs {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
};
Regs cpuid(unsigned leaf, unsigned subleaf) {
  Regs r;
  if (!__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx))
    r = Regs();
  return r;
}
bool bit(unsigned value, int index) { return (value >> index) & 1u; }

bool requestAmxPermission() {
#if defined(__linux__)
  constexpr long kArchRequestXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchRequestXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}
unsigned long long xgetbv0() {
  unsigned eax, edx;
  asm volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}
} // namespace

static std::vector<CpuFeature> detect() {
  unsigned maxLeaf = cpuid(0, 0).eax;
  Regs l1 = cpuid(1, 0);
  Regs l7 = maxLeaf >= 7 ? cpuid(7, 0) : Regs();
  Regs l7s1 = maxLeaf >= 7 ? cpuid(7, 1) : Regs();
  Regs e1 = cpuid(0x80000001u, 0);
  bool osxsave = bit(l1.ecx, 27);
  unsigned long long xcr0 = osxsave ? xgetbv0() : 0;
  // The OS must save the wider registers before the instructions are usable.
  bool avxState = (xcr0 & 0x6) == 0x6;
  bool avx512State = (xcr0 & 0xe6) == 0xe6;
  bool avx = bit(l1.ecx, 28) && avxState;
  bool avx512f = bit(l7.ebx, 16) && avx512State;
  // AMX tiles need their state enabled and, on Linux, this process's
  // permission to use it, which is asked for once here.
  bool amxTile = bit(l7.edx, 24) && (xcr0 & 0x60000) == 0x60000 && requestAmxPermission();
  auto a512 = [&](bool b) { return avx512f && b; };
  return {
      // Architectural on every x86-64 CPU.
      {"64bit", true},
      {"x87", true},
      {"mmx", true},
      {"fxsr", true},
      {"cmov", true},
      {"cx8", true},
      {"sse", true},
      {"sse2", true},
      {"sse3", bit(l1.ecx, 0)},
      {"pclmul", bit(l1.ecx, 1)},
      {"ssse3", bit(l1.ecx, 9)},
      {"fma", bit(l1.ecx, 12) && avx},
      {"cx16", bit(l1.ecx, 13)},
      {"sse4.1", bit(l1.ecx, 19)},
      {"sse4.2", bit(l1.ecx, 20)},
      {"crc32", bit(l1.ecx, 20)},
      {"movbe", bit(l1.ecx, 22)},
      {"popcnt", bit(l1.ecx, 23)},
      {"aes", bit(l1.ecx, 25)},
      {"xsave", bit(l1.ecx, 26)},
      {"avx", avx},
      {"f16c", bit(l1.ecx, 29) && avx},
      {"sahf", bit(e1.ecx, 0)},
      {"lzcnt", bit(e1.ecx, 5)},
      {"bmi", bit(l7.ebx, 3)},
      {"avx2", bit(l7.ebx, 5) && avx},
      {"bmi2", bit(l7.ebx, 8)},
      {"adx", bit(l7.ebx, 19)},
      {"sha", bit(l7.ebx, 29)},
      {"avx512f", avx512f},
      {"evex512", avx512f},
      {"avx512dq", a512(bit(l7.ebx, 17))},
      {"avx512ifma", a512(bit(l7.ebx, 21))},
      {"avx512cd", a512(bit(l7.ebx, 28))},
      {"avx512bw", a512(bit(l7.ebx, 30))},
      {"avx512vl", a512(bit(l7.ebx, 31))},
      {"avx512vbmi", a512(bit(l7.ecx, 1))},
      {"avx512vbmi2", a512(bit(l7.ecx, 6))},
      {"gfni", bit(l7.ecx, 8)},
      {"vaes", bit(l7.ecx, 9) && avx},
      {"vpclmulqdq", bit(l7.ecx, 10) && avx},
      {"avx512vnni", a512(bit(l7.ecx, 11))},
      {"avx512bitalg", a512(bit(l7.ecx, 12))},
      {"avx512vpopcntdq", a512(bit(l7.ecx, 14))},
      {"avxvnni", bit(l7s1.eax, 4) && avx},
      {"avx512bf16", a512(bit(l7s1.eax, 5))},
      {"amx-tile", amxTile},
      {"amx-int8", amxTile && bit(l7.edx, 25)},
  };
}

static std::string detectName() {
  if (cpuid(0x80000000u, 0).eax < 0x80000004u)
    return "unknown x86-64 CPU";
  char brand[49] = {};
  for (unsigned i = 0; i < 3; ++i) {
    Regs r = cpuid(0x80000002u + i, 0);
    std::memcpy(brand + 16 * i, &r.eax, 4);
    std::memcpy(brand + 16 * i + 4, &r.ebx, 4);
    std::memcpy(brand + 16 * i + 8, &r.ecx, 4);
    std::memcpy(brand + 16 * i + 12, &r.edx, 4);
  }
  std::string name(brand);
  size_t first = name.find_first_not_of(' ');
  size_t last = name.find_last_not_of(' ');
  return first == std::string::npos ? "unknown x86-64 CPU" : name.substr(first, last - first + 1);
}

#elif defined(__aarch64__)

static std::vector<CpuFeature> detect() {
  unsigned long hw = getauxval(AT_HWCAP);
  unsigned long hw2 = getauxval(AT_HWCAP2);
  return {
      {"neon", true},
      {"fp-armv8", true},
      {"fullfp16", (hw & HWCAP_ASIMDHP) != 0},
      {"dotprod", (hw & HWCAP_ASIMDDP) != 0},
      {"sve", (hw & HWCAP_SVE) != 0},
#ifdef HWCAP2_I8MM
      {"i8mm", (hw2 & HWCAP2_I8MM) != 0},
#else
      {"i8mm", false},
#endif
      {"bf16", (hw2 & HWCAP2_BF16) != 0},
  };
}

static std::string detectName() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("CPU part", 0) == 0)
      return "AArch64 CPU (" + line + ")";
  return "AArch64 CPU";
}

#else
static std::vector<CpuFeature> detect() { return {}; }
static std::string detectName() { return "unknown CPU"; }
#endif

const std::vector<CpuFeature> &hostCpuFeatures() {
  static const std::vector<CpuFeature> features = detect();
  return features;
}

int hostHasFeature(const std::string &name) {
  for (const CpuFeature &f : hostCpuFeatures())
    if (name == f.name)
      return f.present ? 1 : 0;
  return -1;
}

const std::string &hostCpuName() {
  static const std::string name = detectName();
  return name;
}

} // namespace tern::rt
