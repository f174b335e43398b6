//===- Cuda.h - the CUDA driver API, loaded only when a GPU artifact runs -===//
//
// NVPTX artifacts (kernel.ptx) run through NVIDIA's driver API, which the
// runtime opens with dlopen (libcuda.so.1, or $TERN_CUDA_LIBRARY) the first
// time one is loaded: the runtime links nothing of CUDA and keeps working
// where there is no driver or no GPU. Every failure is an error naming what
// is missing (the driver library, a GPU, an architecture new enough) or the
// driver call that failed, with the driver's own name for the error.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_RUNTIME_SRC_CUDA_H
#define TERN_RUNTIME_SRC_CUDA_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace tern::rt {

/// A PTX module on the first GPU and the kernel it exports.
class CudaKernel {
public:
  ~CudaKernel();
  /// JIT-compiles `ptx` for GPU 0 and finds `entry`. `requiredArch` is the
  /// manifest's "sm_90": an older GPU is refused by name. False with the
  /// runtime's error set on failure.
  bool load(const std::string &ptx, const std::string &entry, const std::string &requiredArch);

  /// Copies `args`' host buffers to the GPU, launches a grid of (blocksX,
  /// blocksY) blocks of `threads` threads with the tern matmul signature
  /// (runtime, a, a_scale, w, w_scale, y, m), and copies y back.
  struct MatmulArgs {
    const int8_t *a;
    const float *aScale;
    const uint8_t *w;
    float wScale;
    float *y;
    int64_t m, n, k, packedBytes;
  };
  /// Weights bound with bindWeights are read from their GPU copy instead.
  /// Records the kernel's own time (CUDA events) for lastSeconds().
  bool matmul(const MatmulArgs &args, unsigned blocksX, unsigned blocksY, unsigned threads);

  /// Keeps a GPU copy of the `bytes` packed weights at `w` for matmuls
  /// given that pointer.
  bool bindWeights(const uint8_t *w, size_t bytes);
  /// The GPU time of the last matmul's kernel, in seconds.
  double lastSeconds() const { return lastSeconds_; }

private:
  void *module_ = nullptr;   // CUmodule
  void *function_ = nullptr; // CUfunction
  void *context_ = nullptr;  // CUcontext (the device's primary context)
  int device_ = 0;
  std::map<const uint8_t *, unsigned long long> boundWeights_; // host -> CUdeviceptr
  double lastSeconds_ = -1;
};

/// "sm_90" for GPU 0, or "" with the runtime's error set (no driver, no GPU).
std::string cudaDeviceArch();

/// GPU 0's memory bandwidth in GB/s: the best of device-to-device copies of
/// 1 GiB, each byte read once and written once; -1 with the error set.
double cudaMemoryBandwidth();

} // namespace tern::rt

#endif // TERN_RUNTIME_SRC_CUDA_H
