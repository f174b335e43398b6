//===- KernelMeasure.h - check and time compiled kernels --------*- C++ -*-===//
//
// What tern-bench and tern-tune share: a kernel is loaded by the runtime,
// checked bit-exact against tests/reference on random inputs, and only then
// timed in process (warm-up, samples of >= 20 ms, median, best and spread).
// With m = 1 the weights stream from DRAM as in decoding: every call reads
// its weights from a different place of a buffer far larger than the caches.
// That buffer holds random bytes, not packed copies: no kernel's speed
// depends on the weight values (no branches on data), and one buffer then
// serves every kernel. Machines shared with other work are noisy, so kernels
// compared with each other are timed in interleaved rounds.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_COMMON_KERNELMEASURE_H
#define TERN_TOOLS_COMMON_KERNELMEASURE_H

#include "runtime/include/tern/runtime.h"

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace tern::measure {

/// Bytes read by memory-bound measurements: well beyond any L3 here.
constexpr int64_t kStreamBytes = 512ll << 20;

/// The machine's read bandwidth in GB/s: the best of several passes over
/// kStreamBytes (1 or 4 streams per thread, without software prefetch and
/// with it into every cache level), so that no kernel can look better than
/// the machine.
double measureBandwidth(tern_runtime *runtime);

/// The core's clock in GHz while busy: the best of several timed chains of
/// dependent integer adds, one per cycle on every core Tern targets.
double measureClockGHz();

/// A buffer of kStreamBytes random bytes that calls take their weights from
/// in turn, so that each call finds them in DRAM.
class WeightStream {
public:
  WeightStream();
  /// The weights of call `call` for a kernel reading `bytes` bytes.
  const uint8_t *weightsFor(int64_t call, int64_t bytes) const;
  /// How many distinct slices of `bytes` bytes calls cycle through.
  int64_t slices(int64_t bytes) const;

private:
  std::unique_ptr<uint8_t[]> data_;
};

struct Timing {
  double median = 0, min = 0, max = 0; // seconds per call
  double spread() const { return median > 0 ? (max - min) / median : 0; }
};

/// Storage on 64-byte boundaries, as a compiled model's scratch buffers place
/// every activation. AMX tile rows that straddle two cache lines load more
/// slowly (2560x2560 at m = 128 with 16-byte aligned rows: 1058 against 885
/// us a call).
template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U> CacheLineAllocator(const CacheLineAllocator<U> &) {}
  T *allocate(size_t count) {
    return static_cast<T *>(::operator new(count * sizeof(T), std::align_val_t(64)));
  }
  void deallocate(T *p, size_t) { ::operator delete(p, std::align_val_t(64)); }
  bool operator==(const CacheLineAllocator &) const { return true; }
};

/// Random ternary weights and quantized activations of an n x k matmul with
/// m rows, and the reference's result: computed once, shared by every
/// kernel of the shape.
struct ReferenceCase {
  ReferenceCase(int64_t n, int64_t k, int64_t m);
  int64_t n, k, m;
  std::vector<int8_t> w;
  std::vector<int8_t, CacheLineAllocator<int8_t>> a;
  std::vector<float> aScale, expected;
};

/// One kernel, loaded and checked, with inputs for m rows.
class CheckedKernel {
public:
  /// Loads DIR and checks it bit-exact against `reference`. Returns null
  /// with `error` set on failure; `invalid` tells a wrong result (the kernel
  /// ran) from a kernel that could not be loaded or run.
  static std::unique_ptr<CheckedKernel> load(const std::string &dir, tern_runtime *runtime,
                                             const ReferenceCase &reference, std::string &error,
                                             bool &invalid);
  ~CheckedKernel();

  const tern_kernel_info &info() const { return *info_; }
  int64_t m() const { return reference_->m; }
  /// "mfree/i2 lanes=16 tile_n=32 ..."
  std::string describe() const;
  /// One call, with weights from `stream` (null: the resident packed copy).
  /// Returns the seconds the GPU spent in it for a GPU kernel, else -1.
  double call(tern_runtime *runtime, const WeightStream *stream, int64_t index);
  /// GPU kernels: every slice of `stream` copied to the GPU once, so that
  /// calls stream their weights from GPU memory as a model's decode does.
  bool bindStream(const WeightStream &stream, std::string &error);
  bool onGpu() const { return gpu_; }

  double weightGBs(double seconds) const;
  double gops(double seconds) const;

private:
  CheckedKernel() = default;
  tern_kernel *kernel_ = nullptr;
  const tern_kernel_info *info_ = nullptr;
  const ReferenceCase *reference_ = nullptr;
  std::vector<uint8_t> packed_;
  std::vector<float> y_;
  bool gpu_ = false;
};

/// Times the kernels in `samples` interleaved rounds of one >= 20 ms sample
/// each, after a warm-up that also sizes each kernel's samples. GPU kernels
/// are timed by the GPU (CUDA events around each launch), without the copies.
std::vector<Timing> timeInterleaved(const std::vector<CheckedKernel *> &kernels,
                                    tern_runtime *runtime, const WeightStream *stream,
                                    int samples = 15);

} // namespace tern::measure

#endif // TERN_TOOLS_COMMON_KERNELMEASURE_H
