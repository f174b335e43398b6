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

/// A model compiled for a GPU on GPU 0: its kernels (model.ptx), its weights,
/// and the device memory of its sessions. The model's host code launches the
/// kernels through tern_gpu_launch with this object as its runtime context;
/// launches run in order on the model's stream.
class CudaModel {
public:
  using DevicePtr = unsigned long long; // CUdeviceptr
  ~CudaModel();
  /// JIT-compiles `ptx` (refusing a GPU older than `requiredArch`) and
  /// copies the weights to the GPU. False with the runtime's error set.
  bool load(const std::string &ptx, const std::string &requiredArch, const void *weights,
            size_t weightsBytes);
  DevicePtr weights() const { return weights_; }

  /// `bytes` of device memory; 0 with the error set.
  DevicePtr allocate(size_t bytes, const char *what);
  void release(DevicePtr ptr);
  bool upload(DevicePtr to, const void *from, size_t bytes);
  /// Waits for the launches before it, then copies.
  bool download(void *to, DevicePtr from, size_t bytes);

  /// One launch of `kernel`; `args` are its parameters, each in an 8-byte
  /// slot. A failure is kept for finish() and skips later launches.
  void launch(const char *kernel, int64_t blocksX, int64_t blocksY, int64_t threads,
              uint64_t *args, int64_t count);
  /// Waits for every launch; false with the first failure as the error.
  bool finish();

private:
  void *module_ = nullptr;  // CUmodule
  void *context_ = nullptr; // CUcontext (the device's primary context)
  void *stream_ = nullptr;  // CUstream
  int device_ = 0;
  DevicePtr weights_ = 0;
  std::map<std::string, void *> functions_; // CUfunction by kernel name
  std::string launchError_;
};

/// "sm_90" for GPU 0, or "" with the runtime's error set (no driver, no GPU).
std::string cudaDeviceArch();

/// GPU 0's memory bandwidth in GB/s: the best of device-to-device copies of
/// 1 GiB, each byte read once and written once; -1 with the error set.
double cudaMemoryBandwidth();

} // namespace tern::rt

#endif // TERN_RUNTIME_SRC_CUDA_H
