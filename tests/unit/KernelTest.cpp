//===- KernelTest.cpp - compiled kernels are bit-exact with the reference -===//
//
// Every strategy x packing (mfree on i2 and base3, lut on lut2 and lut3), on
// every x86 instruction choice and the generic lowering (and mfree with the
// hypothetical tern.tdot, emulated), with remainders in
// N, K and M, is compiled through the real pipeline, loaded by the runtime
// and compared bit for bit with tests/reference on 1 and 2 threads. Paths the
// host cannot execute are compiled and then skipped with the reason. AArch64
// runs under qemu (tests/qemu).
//
//===----------------------------------------------------------------------===//
#include "compiler/packing/Layouts.h"
#include "compiler/pipeline/MatmulKernel.h"
#include "compiler/pipeline/Registration.h"
#include "runtime/include/tern/runtime.h"
#include "tests/unit/KernelTestUtil.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>

using namespace tern;
using namespace tern::testing;

namespace {

struct Variant {
  const char *name;
  const char *target;
  const char *cpu;
  const char *features;
  bool ternaryDot = false; // tern.tdot, emulated by its definition
};

// One variant per tern.vdot lowering on x86, plus the host itself.
const Variant kVariants[] = {
    {"avx512_vnni", "x86_64", "x86-64-v4", "+avx512vnni"}, // vpdpbusd zmm
    {"avx512_bw", "x86_64", "x86-64-v4", ""},              // vpmaddubsw zmm
    {"avx2_vnni", "x86_64", "x86-64-v3", "+avxvnni"},      // vpdpbusd ymm
    {"avx2", "x86_64", "x86-64-v3", ""},                   // vpmaddubsw ymm
    {"ssse3", "x86_64", "x86-64-v2", ""},                  // pmaddubsw xmm
    {"generic", "x86_64", "x86-64", ""},                   // widening multiply-add
    {"host", "host", "", ""},
};

struct Kind {
  Strategy strategy;
  Packing packing;
};

const Kind kKinds[] = {{Strategy::mfree, Packing::i2},
                       {Strategy::mfree, Packing::base3},
                       {Strategy::lut, Packing::lut2},
                       {Strategy::lut, Packing::lut3}};

struct Shape {
  int64_t n, k;
};

// Ragged N and K (not multiples of any tile, chunk or group; K = 101 only for
// lut3, the packing that pads K), tiny ones, the four BitNet b1.58 2B4T
// projections, and a K long enough that 64-row prefill blocks pass the stack
// panel of decoded weights (mfree decodes them inline there).
const Shape kShapes[] = {{33, 100},   {17, 16},    {1, 4},       {35, 52},
                         {64, 2564},  {70, 101},   {640, 2560},  {2560, 2560},
                         {6912, 2560}, {2560, 6912}, {66, 16400}};

const int64_t kRows[] = {1, 3, 8, 128};
// rowlut works in panels of 32 activation rows: also a full panel and a
// partial one.
const int64_t kRowLutRows[] = {1, 3, 40, 128};

mlir::MLIRContext &context() { return ternContext(); }

/// This process's artifacts: ctest runs every test in a process of its own.
std::string scratchRoot() {
  llvm::SmallString<128> dir;
  llvm::sys::path::system_temp_directory(true, dir);
  llvm::sys::path::append(dir, "tern-kernel-test-" + std::to_string(::getpid()));
  return std::string(dir);
}

std::string scratchDir(const std::string &name) { return scratchRoot() + "/" + name; }

/// Removes the artifacts when every test passed; a failure's stay to be
/// looked at.
class ScratchCleanup : public ::testing::Environment {
  void TearDown() override {
    if (!::testing::UnitTest::GetInstance()->Failed())
      llvm::sys::fs::remove_directories(scratchRoot());
  }
};
::testing::Environment *const kScratchCleanup =
    ::testing::AddGlobalTestEnvironment(new ScratchCleanup);

struct KernelDeleter {
  void operator()(tern_kernel *k) const { tern_kernel_unload(k); }
};
using KernelPtr = std::unique_ptr<tern_kernel, KernelDeleter>;

/// Reference outputs are expensive for the large shapes: compute each once.
const std::vector<float> &referenceOutput(const Shape &shape, int64_t m,
                                          const std::vector<int8_t> &w, const Activations &a) {
  static std::map<std::tuple<int64_t, int64_t, int64_t>, std::vector<float>> cache;
  auto key = std::make_tuple(shape.n, shape.k, m);
  auto it = cache.find(key);
  if (it != cache.end())
    return it->second;
  std::vector<float> y(m * shape.n);
  reference::ternaryMatmul(a.q.data(), a.scale.data(), w.data(), 0.37f, y.data(), m, shape.n,
                           shape.k);
  return cache.emplace(key, std::move(y)).first->second;
}


/// Compiles the decode default (tile_m = 1), the prefill default (tile_m >
/// 1), and odd parameters that leave remainders everywhere (with K in 3
/// slabs for mfree and amx), plus for those two a kernel reading 4 (mfree
/// decode) or 2 (amx) slabs, and for amx one whose tasks pair blocks (2
/// weight tiles a step, 3 a block) over 4 slabs; returns their artifact
/// directories.
std::vector<std::string> compileSpecs(const std::string &variant, const Kind &kind,
                                      const Shape &shape, const TargetDesc &target) {
  int64_t lanes = lookupTargetBackend(target.arch)->vectorLanes(target);
  bool slabbed = kind.strategy == Strategy::mfree || kind.strategy == Strategy::amx ||
                 kind.strategy == Strategy::rowlut;
  std::vector<MatmulKernelSpec> specs(kind.strategy == Strategy::amx ? 5 : slabbed ? 4 : 3);
  specs[0].m = 1;
  specs[1].m = 128;
  switch (kind.strategy) {
  case Strategy::lut:
    specs[2].kernel = KernelAttr::get(&context(), Strategy::lut, lanes, 8 * lanes, 3, 4, 3, 1);
    break;
  case Strategy::mfree:
    specs[2].kernel = KernelAttr::get(&context(), Strategy::mfree, lanes, 3 * lanes, 3, 3, 2, 3);
    specs[3].kernel = KernelAttr::get(&context(), Strategy::mfree, lanes, 2 * lanes, 1, 2, 4, 4);
    break;
  case Strategy::simt: // 4 rows x 8 slices per warp, 3 warps
    specs[2].kernel = KernelAttr::get(&context(), Strategy::simt, 4, 12, 3, 3, 0, 8);
    break;
  case Strategy::amx: // steps of 48 rows: the last one's tiles overlap
    specs[2].kernel = KernelAttr::get(&context(), Strategy::amx, 16, 48, 3, 1, 0, 3);
    specs[3].kernel = KernelAttr::get(&context(), Strategy::amx, 16, 32, 2, 2, 0, 2);
    specs[4].kernel = KernelAttr::get(&context(), Strategy::amx, 16, 48, 2, 2, 0, 4);
    break;
  case Strategy::mma: // one warp of 3 weight tiles, 32 activation rows, 3 K steps a loop
    specs[2].kernel = KernelAttr::get(&context(), Strategy::mma, 8, 24, 2, 3, 0, 3);
    break;
  case Strategy::rowlut: // slabs of 12 groups (7 before widening), and of 32 (2)
    specs[2].kernel = KernelAttr::get(&context(), Strategy::rowlut, lanes, 5, 1, 3, 0, 1);
    specs[3].kernel = KernelAttr::get(&context(), Strategy::rowlut, lanes, 16, 1, 8, 0, 1);
    break;
  }
  std::vector<std::string> dirs;
  for (size_t i = 0; i < specs.size(); ++i) {
    specs[i].n = shape.n;
    specs[i].k = shape.k;
    specs[i].strategy = kind.strategy;
    specs[i].packing = kind.packing;
    std::string dir = scratchDir(variant + "-" + stringifyStrategy(kind.strategy).str() + "-" +
                                 stringifyPacking(kind.packing).str() + "-" +
                                 std::to_string(shape.n) + "x" + std::to_string(shape.k) + "-" +
                                 std::to_string(i));
    llvm::Error e = writeMatmulKernelArtifact(&context(), specs[i], target, dir, false);
    EXPECT_FALSE(static_cast<bool>(e)) << llvm::toString(std::move(e));
    dirs.push_back(dir);
  }
  return dirs;
}

class KernelTest : public ::testing::TestWithParam<std::tuple<Variant, Kind, Shape>> {
protected:
  /// Compiles the parameter's kernels into `dirs`; skips (a packing that
  /// cannot take K) or fails, leaving `dirs` empty, where it cannot.
  void compileParam(std::optional<TargetDesc> &target, std::vector<std::string> &dirs) {
    auto [variant, kind, shape] = GetParam();
    if (shape.k % packingGroupSize(kind.packing) != 0)
      GTEST_SKIP() << "K=" << shape.k << " is not a multiple of "
                   << stringifyPacking(kind.packing).str() << "'s group";
    if (kind.strategy == Strategy::amx && shape.k % 64 != 0)
      GTEST_SKIP() << "K=" << shape.k << " is not a multiple of 64, an AMX tile row";
    std::string cpu = variant.cpu;
    // A GPU variant without an architecture compiles for the GPU present.
    if (std::string(variant.target) == "nvptx" && cpu.empty()) {
      const char *device = tern_gpu_arch();
      if (!device)
        GTEST_SKIP() << "skipped: no GPU (" << tern_last_error() << ")";
      // PTX for an older architecture runs (JIT-compiled) on newer GPUs.
      int number = std::atoi(device + 3);
      cpu = number >= 90 ? "sm_90" : number >= 89 ? "sm_89" : number >= 86 ? "sm_86" : "sm_80";
      if (number < 80)
        GTEST_SKIP() << "skipped: the GPU is " << device << ", Tern's PTX needs sm_80 or newer";
    }
    auto resolved = resolveTarget(variant.target, cpu, variant.features);
    ASSERT_TRUE(static_cast<bool>(resolved)) << llvm::toString(resolved.takeError());
    target = *resolved;
    target->ternaryDot = variant.ternaryDot;
    dirs = compileSpecs(variant.name, kind, shape, *target);
    if (HasFailure())
      dirs.clear();
  }
};

TEST_P(KernelTest, BitExactWithReference) {
  auto [variant, kind, shape] = GetParam();
  std::optional<TargetDesc> target;
  std::vector<std::string> dirs;
  compileParam(target, dirs);
  if (dirs.empty())
    return;
  bool gpu = llvm::StringRef(target->arch).starts_with("nvptx");
  if (!gpu && !target->runsOnHost())
    GTEST_SKIP() << "skipped running " << variant.name << ": compiled for " << target->describe()
                 << ", which this CPU (" << tern_cpu_features() << ") cannot execute";

  std::vector<int8_t> w = randomTernary(shape.n, shape.k, 1234);
  for (const std::string &dir : dirs) {
    KernelPtr kernel(tern_kernel_load(dir.c_str()));
    ASSERT_TRUE(kernel) << tern_last_error();
    const tern_kernel_info *info = tern_kernel_get_info(kernel.get());
    std::optional<packing::Format> format = packing::parseFormat(info->layout);
    ASSERT_TRUE(format.has_value()) << info->layout;
    packing::LayoutParams layout{*format, info->n, info->k, info->lanes, info->tile_n, info->slabs};
    ASSERT_EQ(packing::packedBytes(layout), info->packed_bytes);
    std::vector<uint8_t> packed(info->packed_bytes);
    ASSERT_TRUE(packing::pack(layout, w.data(), packed.data()));
    for (int threads : {1, 2}) {
      tern_runtime *runtime = tern_runtime_create(threads);
      for (int64_t m : kind.strategy == Strategy::rowlut ? llvm::ArrayRef(kRowLutRows)
                                                         : llvm::ArrayRef(kRows)) {
        Activations a = randomActivations(m, shape.k, 99 + m);
        const std::vector<float> &expected = referenceOutput(shape, m, w, a);
        std::vector<float> y(m * shape.n, -1.0f);
        ASSERT_EQ(tern_kernel_matmul(kernel.get(), runtime, a.q.data(), a.scale.data(),
                                     packed.data(), 0.37f, y.data(), m),
                  TERN_OK)
            << tern_last_error();
        EXPECT_EQ(firstMismatch(expected, y, shape.n), "")
            << dir << " m=" << m << " threads=" << threads << " tile_m=" << info->tile_m
            << " tile_n=" << info->tile_n << " unroll_k=" << info->unroll_k;
        if (gpu) {
          // The same from weights kept on the GPU.
          ASSERT_EQ(tern_kernel_bind_weights(kernel.get(), packed.data()), TERN_OK) << tern_last_error();
          std::vector<float> bound(m * shape.n, -1.0f);
          ASSERT_EQ(tern_kernel_matmul(kernel.get(), runtime, a.q.data(), a.scale.data(),
                                       packed.data(), 0.37f, bound.data(), m),
                    TERN_OK)
              << tern_last_error();
          EXPECT_EQ(firstMismatch(expected, bound, shape.n), "") << dir << " m=" << m << " (bound)";
          EXPECT_GT(tern_kernel_gpu_seconds(kernel.get()), 0);
        }
      }
      tern_runtime_destroy(runtime);
    }
  }
}

std::string testName(const ::testing::TestParamInfo<KernelTest::ParamType> &info) {
  const auto &[variant, kind, shape] = info.param;
  return std::string(variant.name) + "_" + stringifyStrategy(kind.strategy).str() + "_" +
         stringifyPacking(kind.packing).str() + "_" + std::to_string(shape.n) + "x" +
         std::to_string(shape.k);
}

INSTANTIATE_TEST_SUITE_P(Kernels, KernelTest,
                         ::testing::Combine(::testing::ValuesIn(kVariants),
                                            ::testing::ValuesIn(kKinds),
                                            ::testing::ValuesIn(kShapes)),
                         testName);

// The GPU strategies' threads run in loops on the CPU: their logic, checked
// against the reference off-GPU, with the generic tern.vdot lowering and
// with the host's.
const Variant kSimtVariants[] = {{"generic", "x86_64", "x86-64", ""}, {"host", "host", "", ""}};
const Kind kGpuKinds[] = {{Strategy::simt, Packing::i2}, {Strategy::mma, Packing::i2}};
INSTANTIATE_TEST_SUITE_P(SimtOnTheHost, KernelTest,
                         ::testing::Combine(::testing::ValuesIn(kSimtVariants),
                                            ::testing::Values(Kind{Strategy::simt, Packing::i2}),
                                            ::testing::ValuesIn(kShapes)),
                         testName);
// The host computes each tensor-core step element by element: the ragged
// shapes and one 2B4T projection.
const Shape kMmaHostShapes[] = {{33, 100}, {17, 16}, {1, 4}, {35, 52}, {64, 2564}, {70, 100},
                                {640, 2560}};
INSTANTIATE_TEST_SUITE_P(MmaOnTheHost, KernelTest,
                         ::testing::Combine(::testing::ValuesIn(kSimtVariants),
                                            ::testing::Values(Kind{Strategy::mma, Packing::i2}),
                                            ::testing::ValuesIn(kMmaHostShapes)),
                         testName);

// The same kernels as PTX on the GPU, where there is one.
INSTANTIATE_TEST_SUITE_P(OnTheGpu, KernelTest,
                         ::testing::Combine(::testing::Values(Variant{"gpu", "nvptx", "", ""}),
                                            ::testing::ValuesIn(kGpuKinds),
                                            ::testing::ValuesIn(kShapes)),
                         testName);

// AMX tiles (tdpbssd), run where the CPU has them and the OS lets this
// process use them: ragged N and the 2B4T shapes, m from 1 (a zero-padded
// tile) to 128. 100 rows make three blocks of 48: a kernel pairing blocks
// ends on a task with one.
const Shape kAmxShapes[] = {{33, 64},   {70, 128},   {17, 192},
                            {100, 128}, {640, 2560}, {2560, 6912}};
INSTANTIATE_TEST_SUITE_P(Amx, KernelTest,
                         ::testing::Combine(::testing::Values(Variant{"amx", "x86_64",
                                                                      "sapphirerapids", ""}),
                                            ::testing::Values(Kind{Strategy::amx, Packing::i2},
                                                              Kind{Strategy::amx, Packing::base3}),
                                            ::testing::ValuesIn(kAmxShapes)),
                         testName);

// rowlut reads no dot-product instruction: one variant per vector width.
const Variant kRowLutVariants[] = {{"avx512", "x86_64", "x86-64-v4", ""},
                                   {"avx2", "x86_64", "x86-64-v3", ""},
                                   {"ssse3", "x86_64", "x86-64-v2", ""},
                                   // Weight bytes loaded as words (AVX2).
                                   {"zen3", "x86_64", "znver3", "-sha,-vaes,-vpclmulqdq"},
                                   {"host", "host", "", ""}};
INSTANTIATE_TEST_SUITE_P(RowLut, KernelTest,
                         ::testing::Combine(::testing::ValuesIn(kRowLutVariants),
                                            ::testing::Values(Kind{Strategy::rowlut, Packing::idx3}),
                                            ::testing::ValuesIn(kShapes)),
                         testName);

// Kernels for a machine with a ternary dot product (a target description
// declaring `ternary`), their tern.tdot run by its definition on the host.
const Variant kTernaryDotVariants[] = {{"tdot_host", "host", "", "", true}};
INSTANTIATE_TEST_SUITE_P(TernaryDot, KernelTest,
                         ::testing::Combine(::testing::ValuesIn(kTernaryDotVariants),
                                            ::testing::Values(Kind{Strategy::mfree, Packing::i2},
                                                              Kind{Strategy::mfree, Packing::base3}),
                                            ::testing::ValuesIn(kShapes)),
                         testName);

//===----------------------------------------------------------------------===//
// AArch64 under qemu-user: tests/qemu/KernelHarness.cpp, built for AArch64,
// loads each kernel and compares it with the reference there.
//===----------------------------------------------------------------------===//

const Variant kAArch64Variants[] = {
    {"aarch64_dotprod", "aarch64", "cortex-a76", ""}, // sdot
    {"aarch64_neon", "aarch64", "cortex-a53", ""},    // widening multiply-add
};

// Large shapes are left to x86: qemu is some 50x slower than the host.
const Shape kAArch64Shapes[] = {{33, 100}, {17, 16}, {1, 4}, {70, 101}, {64, 2564}, {640, 2560}};

/// Runs `program` with `args`, expecting exit code 0; its output (kept in
/// DIR/output.txt) goes into the failure message.
void expectRunsCleanly(const std::string &dir, llvm::StringRef program,
                       const std::vector<std::string> &args) {
  std::string output = dir + "/output.txt";
  llvm::SmallVector<llvm::StringRef> argv = {program};
  for (const std::string &a : args)
    argv.push_back(a);
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(output),
                                                llvm::StringRef(output)};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects, 300, 0, &error);
  auto text = llvm::MemoryBuffer::getFile(output);
  EXPECT_EQ(rc, 0) << dir << ": " << error << "\n"
                   << (text ? (*text)->getBuffer().str() : std::string("(no output)"));
}

class AArch64KernelTest : public KernelTest {};

TEST_P(AArch64KernelTest, BitExactWithReferenceUnderQemu) {
  std::optional<TargetDesc> target;
  std::vector<std::string> dirs;
  compileParam(target, dirs);
  if (dirs.empty())
    return;
  if (std::string(TERN_AARCH64_HARNESS).empty())
    GTEST_SKIP() << "compiled for " << target->describe()
                 << " but not run: qemu-aarch64 or aarch64-linux-gnu-g++ was missing at "
                    "configure time (scripts/install-deps.sh installs both)";

  for (const std::string &dir : dirs) {
    auto manifest = llvm::MemoryBuffer::getFile(dir + "/manifest.json");
    ASSERT_TRUE(static_cast<bool>(manifest)) << dir;
    llvm::Expected<llvm::json::Value> json = llvm::json::parse((*manifest)->getBuffer());
    ASSERT_TRUE(static_cast<bool>(json)) << llvm::toString(json.takeError());
    const llvm::json::Object *matmul = json->getAsObject()->getObject("matmul");
    const llvm::json::Object *params = matmul->getObject("kernel");
    auto field = [](const llvm::json::Object *o, llvm::StringRef key) {
      return std::to_string(*o->getInteger(key));
    };
    expectRunsCleanly(dir, TERN_QEMU_AARCH64,
                      {"-L", TERN_AARCH64_SYSROOT, TERN_AARCH64_HARNESS, dir + "/kernel.so",
                       matmul->getString("layout")->str(), field(matmul, "n"), field(matmul, "k"),
                       field(params, "lanes"), field(params, "tile_n"), field(matmul, "slabs")});
  }
}

INSTANTIATE_TEST_SUITE_P(Kernels, AArch64KernelTest,
                         ::testing::Combine(::testing::ValuesIn(kAArch64Variants),
                                            ::testing::ValuesIn(kKinds),
                                            ::testing::ValuesIn(kAArch64Shapes)),
                         testName);
INSTANTIATE_TEST_SUITE_P(RowLut, AArch64KernelTest,
                         ::testing::Combine(::testing::Values(kAArch64Variants[0]),
                                            ::testing::Values(Kind{Strategy::rowlut, Packing::idx3}),
                                            ::testing::ValuesIn(kAArch64Shapes)),
                         testName);

//===----------------------------------------------------------------------===//
// NVIDIA GPUs: every simt and mma kernel's PTX assembles with CUDA's ptxas
// for the architectures Tern targets (the same kernels' logic runs on the
// host in SimtOnTheHost and MmaOnTheHost above).
//===----------------------------------------------------------------------===//

class PtxTest : public KernelTest {};

TEST_P(PtxTest, AssemblesWithPtxas) {
  std::optional<TargetDesc> target;
  std::vector<std::string> dirs;
  compileParam(target, dirs);
  if (dirs.empty())
    return;
  std::string ptxas = TERN_PTXAS;
  if (ptxas.empty() || ptxas.find("NOTFOUND") != std::string::npos)
    GTEST_SKIP() << "PTX written for " << target->describe()
                 << " but not assembled: no ptxas (CUDA's, /usr/local/cuda/bin) at configure time";
  for (const std::string &dir : dirs)
    expectRunsCleanly(dir, ptxas,
                      {"-arch=" + target->cpu, dir + "/kernel.ptx", "-o", dir + "/kernel.cubin"});
}

const Variant kGpuVariants[] = {{"sm_80", "nvptx", "sm_80", ""}, {"sm_90", "nvptx", "sm_90", ""}};
INSTANTIATE_TEST_SUITE_P(Kernels, PtxTest,
                         ::testing::Combine(::testing::ValuesIn(kGpuVariants),
                                            ::testing::ValuesIn(kGpuKinds),
                                            ::testing::ValuesIn(kShapes)),
                         testName);

} // namespace
