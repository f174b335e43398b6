//===- KernelTest.cpp - compiled kernels are bit-exact with the reference -===//
//
// Every code path of the mfree/i2 kernel (each x86 instruction choice, the
// generic lowering, remainder handling in N, K and M) is compiled through the
// real pipeline, loaded by the runtime and compared bit for bit with
// tests/reference on 1 and 2 threads. Paths the host cannot execute are
// compiled and then skipped with the reason.
//
//===----------------------------------------------------------------------===//
#include "compiler/packing/MfreeI2Layout.h"
#include "compiler/pipeline/MatmulKernel.h"
#include "compiler/pipeline/Registration.h"
#include "runtime/include/tern/runtime.h"
#include "tests/unit/KernelTestUtil.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

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

struct Shape {
  int64_t n, k;
};

// Ragged N and K (not multiples of any tile or chunk), tiny ones, and the four
// BitNet b1.58 2B4T projections.
const Shape kShapes[] = {{33, 100}, {17, 16},    {1, 4},      {35, 52},    {64, 2564},
                         {640, 2560}, {2560, 2560}, {6912, 2560}, {2560, 6912}};

const int64_t kRows[] = {1, 3, 8, 128};

mlir::MLIRContext &context() {
  static mlir::MLIRContext *ctx = [] {
    mlir::DialectRegistry registry;
    registerTernDialects(registry);
    auto *c = new mlir::MLIRContext(registry);
    c->loadAllAvailableDialects();
    return c;
  }();
  return *ctx;
}

std::string scratchDir(const std::string &name) {
  llvm::SmallString<128> dir;
  llvm::sys::path::system_temp_directory(true, dir);
  llvm::sys::path::append(dir, "tern-kernel-test-" + std::to_string(::getpid()), name);
  return std::string(dir);
}

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

class KernelTest : public ::testing::TestWithParam<std::tuple<Variant, Shape>> {};

TEST_P(KernelTest, BitExactWithReference) {
  auto [variant, shape] = GetParam();
  auto target = resolveTarget(variant.target, variant.cpu, variant.features);
  ASSERT_TRUE(static_cast<bool>(target)) << llvm::toString(target.takeError());

  // A decode-tuned kernel (tile_m = 1), a prefill-tuned one (tile_m = 4), and
  // odd parameters that leave remainders everywhere.
  int64_t lanes = lookupTargetBackend(target->arch)->vectorLanes(*target);
  std::vector<MatmulKernelSpec> specs(3);
  specs[0].m = 1;
  specs[1].m = 128;
  specs[2].kernel = KernelAttr::get(&context(), Strategy::mfree, lanes, 3 * lanes, 3, 3);
  std::vector<std::string> dirs;
  for (size_t i = 0; i < specs.size(); ++i) {
    specs[i].n = shape.n;
    specs[i].k = shape.k;
    std::string dir = scratchDir(std::string(variant.name) + "-" + std::to_string(shape.n) + "x" +
                                 std::to_string(shape.k) + "-" + std::to_string(i));
    llvm::Error e = writeMatmulKernelArtifact(&context(), specs[i], *target, dir, false);
    ASSERT_FALSE(static_cast<bool>(e)) << llvm::toString(std::move(e));
    dirs.push_back(dir);
  }
  if (!target->runsOnHost())
    GTEST_SKIP() << "skipped running " << variant.name << ": compiled for " << target->describe()
                 << ", which this CPU (" << tern_cpu_features() << ") cannot execute";

  std::vector<int8_t> w = randomTernary(shape.n, shape.k, 1234);
  for (const std::string &dir : dirs) {
    KernelPtr kernel(tern_kernel_load(dir.c_str()));
    ASSERT_TRUE(kernel) << tern_last_error();
    const tern_kernel_info *info = tern_kernel_get_info(kernel.get());
    packing::MfreeI2Layout layout{};
    layout.n = info->n;
    layout.k = info->k;
    layout.lanes = info->lanes;
    layout.tileN = info->tile_n;
    ASSERT_EQ(layout.totalBytes(), info->packed_bytes);
    std::vector<uint8_t> packed(info->packed_bytes);
    ASSERT_TRUE(packing::packMfreeI2(layout, w.data(), packed.data()));
    for (int threads : {1, 2}) {
      tern_runtime *runtime = tern_runtime_create(threads);
      for (int64_t m : kRows) {
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
      }
      tern_runtime_destroy(runtime);
    }
  }
}

std::string testName(const ::testing::TestParamInfo<KernelTest::ParamType> &info) {
  const auto &[variant, shape] = info.param;
  return std::string(variant.name) + "_" + std::to_string(shape.n) + "x" +
         std::to_string(shape.k);
}

INSTANTIATE_TEST_SUITE_P(Mfree, KernelTest,
                         ::testing::Combine(::testing::ValuesIn(kVariants),
                                            ::testing::ValuesIn(kShapes)),
                         testName);

} // namespace
