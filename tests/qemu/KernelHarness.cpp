//===- KernelHarness.cpp - run a cross-compiled kernel against the reference -===//
//
//   kernel-harness KERNEL.so LAYOUT N K LANES TILE_N SLABS
//
// Built for another architecture (AArch64) and run under qemu-user by
// QemuKernelTest: loads a kernel library written by ternc for that
// architecture, packs random ternary weights into LAYOUT, and compares the
// kernel bit for bit with tests/reference for M in {1, 3, 8, 128} on 1 and 2
// threads. Only the reference, the packing and this file are built for the
// target: the runtime is not, so tern_parallel_for is provided here, with
// std::thread. Prints one line per mismatch and "ok" at the end; exits 0
// only when every result matched.
//
//===----------------------------------------------------------------------===//
#include "compiler/packing/Layouts.h"
#include "tests/unit/KernelTestUtil.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

using namespace tern;
using namespace tern::testing;

namespace {

using TaskFn = void (*)(void *closure, int64_t begin, int64_t end);
using MatmulEntry = void (*)(void *runtime, const int8_t *a, const float *aScale,
                             const uint8_t *w, float wScale, float *y, int64_t m);

struct Pool {
  int threads;
};

} // namespace

/// What generated kernels call to go parallel: `count` tasks split into one
/// contiguous range per thread.
extern "C" __attribute__((visibility("default"))) void
tern_parallel_for(void *runtime, int64_t count, TaskFn fn, void *closure) {
  int threads = static_cast<Pool *>(runtime)->threads;
  std::vector<std::thread> workers;
  for (int t = 1; t < threads; ++t)
    workers.emplace_back([=] { fn(closure, count * t / threads, count * (t + 1) / threads); });
  fn(closure, 0, count / threads);
  for (std::thread &w : workers)
    w.join();
}

int main(int argc, char **argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: kernel-harness KERNEL.so LAYOUT N K LANES TILE_N SLABS\n");
    return 2;
  }
  void *library = dlopen(argv[1], RTLD_NOW);
  if (!library) {
    std::fprintf(stderr, "cannot load %s: %s\n", argv[1], dlerror());
    return 2;
  }
  auto entry = reinterpret_cast<MatmulEntry>(dlsym(library, "tern_matmul"));
  std::optional<packing::Format> format = packing::parseFormat(argv[2]);
  if (!entry || !format) {
    std::fprintf(stderr, "%s: no tern_matmul, or unknown layout '%s'\n", argv[1], argv[2]);
    return 2;
  }
  packing::LayoutParams layout{*format, std::atoll(argv[3]), std::atoll(argv[4]),
                               std::atoll(argv[5]), std::atoll(argv[6]), std::atoll(argv[7])};
  std::vector<int8_t> w = randomTernary(layout.n, layout.k, 1234);
  std::vector<uint8_t> packed(packing::packedBytes(layout));
  if (!packing::pack(layout, w.data(), packed.data())) {
    std::fprintf(stderr, "cannot pack %s %lldx%lld\n", argv[2], static_cast<long long>(layout.n),
                 static_cast<long long>(layout.k));
    return 2;
  }
  int failures = 0;
  for (int64_t m : {1, 3, 8, 128}) {
    Activations a = randomActivations(m, layout.k, 99 + m);
    std::vector<float> expected(m * layout.n);
    reference::ternaryMatmul(a.q.data(), a.scale.data(), w.data(), 0.37f, expected.data(), m,
                             layout.n, layout.k);
    for (int threads : {1, 2}) {
      Pool pool{threads};
      std::vector<float> y(m * layout.n, -1.0f);
      entry(&pool, a.q.data(), a.scale.data(), packed.data(), 0.37f, y.data(), m);
      std::string mismatch = firstMismatch(expected, y, layout.n);
      if (!mismatch.empty()) {
        std::printf("m=%lld threads=%d: %s\n", static_cast<long long>(m), threads,
                    mismatch.c_str());
        ++failures;
      }
    }
  }
  if (failures == 0)
    std::printf("ok\n");
  return failures == 0 ? 0 : 1;
}
