//===- Cuda.cpp -----------------------------------------------------------===//
#include "runtime/src/Cuda.h"
#include "runtime/src/Error.h"

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <vector>

namespace tern::rt {
namespace {

// The driver API's ABI (cuda.h), declared here so that building the runtime
// needs no CUDA installation.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using Handle = void *;
constexpr CUresult kSuccess = 0;
constexpr int kComputeCapabilityMajor = 75, kComputeCapabilityMinor = 76;

/// The driver's entry points; `error` says why they are missing.
struct Driver {
  std::string error;
  CUresult (*init)(unsigned);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*primaryCtxRetain)(Handle *, CUdevice);
  CUresult (*primaryCtxRelease)(CUdevice);
  CUresult (*ctxSetCurrent)(Handle);
  CUresult (*moduleLoadDataEx)(Handle *, const void *, unsigned, int *, void **);
  CUresult (*moduleUnload)(Handle);
  CUresult (*moduleGetFunction)(Handle *, Handle, const char *);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*memcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*memcpyDtoD)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*launchKernel)(Handle, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned,
                           unsigned, Handle, void **, void **);
  CUresult (*eventCreate)(Handle *, unsigned);
  CUresult (*eventDestroy)(Handle);
  CUresult (*eventRecord)(Handle, Handle);
  CUresult (*eventSynchronize)(Handle);
  CUresult (*eventElapsedTime)(float *, Handle, Handle);
  CUresult (*getErrorName)(CUresult, const char **);
  CUresult (*streamCreate)(Handle *, unsigned);
  CUresult (*streamDestroy)(Handle);
  CUresult (*streamSynchronize)(Handle);
};

template <typename F> bool resolve(void *library, const char *name, F &fn, std::string &error) {
  fn = reinterpret_cast<F>(dlsym(library, name));
  if (!fn && error.empty())
    error = std::string("the CUDA driver library has no ") + name + " (too old a driver?)";
  return fn != nullptr;
}

const Driver &driver() {
  static Driver d;
  static std::once_flag once;
  std::call_once(once, [] {
    const char *path = std::getenv("TERN_CUDA_LIBRARY");
    std::string name = path && *path ? path : "libcuda.so.1";
    void *library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char *why = dlerror();
      d.error = "the CUDA driver (" + name + ") cannot be loaded: " + (why ? why : "not found") +
                " (is an NVIDIA driver installed?)";
      return;
    }
    std::string &e = d.error;
    resolve(library, "cuInit", d.init, e);
    resolve(library, "cuDeviceGetCount", d.deviceGetCount, e);
    resolve(library, "cuDeviceGet", d.deviceGet, e);
    resolve(library, "cuDeviceGetAttribute", d.deviceGetAttribute, e);
    resolve(library, "cuDevicePrimaryCtxRetain", d.primaryCtxRetain, e);
    resolve(library, "cuDevicePrimaryCtxRelease_v2", d.primaryCtxRelease, e);
    resolve(library, "cuCtxSetCurrent", d.ctxSetCurrent, e);
    resolve(library, "cuModuleLoadDataEx", d.moduleLoadDataEx, e);
    resolve(library, "cuModuleUnload", d.moduleUnload, e);
    resolve(library, "cuModuleGetFunction", d.moduleGetFunction, e);
    resolve(library, "cuMemAlloc_v2", d.memAlloc, e);
    resolve(library, "cuMemFree_v2", d.memFree, e);
    resolve(library, "cuMemcpyHtoD_v2", d.memcpyHtoD, e);
    resolve(library, "cuMemcpyDtoH_v2", d.memcpyDtoH, e);
    resolve(library, "cuMemcpyDtoD_v2", d.memcpyDtoD, e);
    resolve(library, "cuLaunchKernel", d.launchKernel, e);
    resolve(library, "cuEventCreate", d.eventCreate, e);
    resolve(library, "cuEventDestroy_v2", d.eventDestroy, e);
    resolve(library, "cuEventRecord", d.eventRecord, e);
    resolve(library, "cuEventSynchronize", d.eventSynchronize, e);
    resolve(library, "cuEventElapsedTime", d.eventElapsedTime, e);
    resolve(library, "cuGetErrorName", d.getErrorName, e);
    resolve(library, "cuStreamCreate", d.streamCreate, e);
    resolve(library, "cuStreamDestroy_v2", d.streamDestroy, e);
    resolve(library, "cuStreamSynchronize", d.streamSynchronize, e);
    if (!e.empty())
      return;
    if (CUresult r = d.init(0); r != kSuccess) {
      const char *errorName = nullptr;
      if (d.getErrorName(r, &errorName) != kSuccess || !errorName)
        errorName = "unknown error";
      e = "the CUDA driver (" + name + ") did not start: cuInit returned " + errorName + " (" +
          std::to_string(r) + ")";
    }
  });
  return d;
}

/// False with the runtime's error set when `r` is not success.
bool check(CUresult r, const char *call) {
  if (r == kSuccess)
    return true;
  const char *name = nullptr;
  if (driver().getErrorName(r, &name) != kSuccess || !name)
    name = "unknown error";
  return fail(std::string(call) + " failed: " + name + " (" + std::to_string(r) + ")");
}

/// GPU 0, with its compute capability as "sm_XY"; false with the error set.
bool firstDevice(CUdevice &device, std::string &arch) {
  const Driver &d = driver();
  if (!d.error.empty())
    return fail(d.error);
  int count = 0;
  if (!check(d.deviceGetCount(&count), "cuDeviceGetCount"))
    return false;
  if (count == 0)
    return fail("the CUDA driver is loaded but finds no GPU");
  int major = 0, minor = 0;
  if (!check(d.deviceGet(&device, 0), "cuDeviceGet") ||
      !check(d.deviceGetAttribute(&major, kComputeCapabilityMajor, device), "cuDeviceGetAttribute") ||
      !check(d.deviceGetAttribute(&minor, kComputeCapabilityMinor, device), "cuDeviceGetAttribute"))
    return false;
  arch = "sm_" + std::to_string(major) + std::to_string(minor);
  return true;
}

int archNumber(const std::string &arch) {
  return arch.size() > 3 ? std::atoi(arch.c_str() + 3) : 0;
}

/// Device memory freed on scope exit.
struct DeviceBuffer {
  CUdeviceptr ptr = 0;
  ~DeviceBuffer() {
    if (ptr)
      driver().memFree(ptr);
  }
  bool allocate(size_t bytes, const char *what) {
    return check(driver().memAlloc(&ptr, bytes ? bytes : 1), what);
  }
  /// Gives up ownership.
  CUdeviceptr release() {
    CUdeviceptr p = ptr;
    ptr = 0;
    return p;
  }
};

/// A pair of CUDA events around GPU work: the seconds between them.
struct EventTimer {
  Handle start = nullptr, stop = nullptr;
  ~EventTimer() {
    if (start)
      driver().eventDestroy(start);
    if (stop)
      driver().eventDestroy(stop);
  }
  bool create() {
    return check(driver().eventCreate(&start, 0), "cuEventCreate") &&
           check(driver().eventCreate(&stop, 0), "cuEventCreate");
  }
  bool begin() { return check(driver().eventRecord(start, nullptr), "cuEventRecord"); }
  bool end(double &seconds) {
    float ms = 0;
    if (!check(driver().eventRecord(stop, nullptr), "cuEventRecord") ||
        !check(driver().eventSynchronize(stop), "cuEventSynchronize (running the kernel)") ||
        !check(driver().eventElapsedTime(&ms, start, stop), "cuEventElapsedTime"))
      return false;
    seconds = ms * 1e-3;
    return true;
  }
};

} // namespace

std::string cudaDeviceArch() {
  CUdevice device;
  std::string arch;
  return firstDevice(device, arch) ? arch : "";
}

double cudaMemoryBandwidth() {
  CUdevice device;
  std::string arch;
  if (!firstDevice(device, arch))
    return -1;
  const Driver &d = driver();
  Handle context = nullptr;
  if (!check(d.primaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain"))
    return -1;
  double best = -1;
  {
    constexpr size_t kBytes = size_t(1) << 30;
    DeviceBuffer from, to;
    EventTimer timer;
    if (check(d.ctxSetCurrent(context), "cuCtxSetCurrent") &&
        from.allocate(kBytes, "cuMemAlloc (bandwidth test)") &&
        to.allocate(kBytes, "cuMemAlloc (bandwidth test)") && timer.create())
      for (int rep = 0; rep < 5; ++rep) {
        double seconds = 0;
        if (!timer.begin() || !check(d.memcpyDtoD(to.ptr, from.ptr, kBytes), "cuMemcpyDtoD") ||
            !timer.end(seconds)) {
          best = -1;
          break;
        }
        best = std::max(best, 2.0 * static_cast<double>(kBytes) / seconds / 1e9);
      }
  }
  d.primaryCtxRelease(device);
  return best;
}

CudaKernel::~CudaKernel() {
  const Driver &d = driver();
  if (context_)
    d.ctxSetCurrent(context_);
  for (const auto &[host, device] : boundWeights_)
    d.memFree(device);
  if (module_)
    d.moduleUnload(module_);
  if (context_)
    d.primaryCtxRelease(device_);
}

/// GPU 0's primary context made current, and `ptx` loaded into it; refuses a
/// GPU older than `requiredArch` ("kernel" or "model": what was compiled).
bool loadModule(const std::string &ptx, const std::string &requiredArch, const char *what,
                int &device, Handle &context, Handle &module) {
  std::string arch;
  if (!firstDevice(device, arch))
    return false;
  if (archNumber(arch) < archNumber(requiredArch))
    return fail(std::string("the ") + what + " was compiled for " + requiredArch +
                " but GPU 0 is " + arch + "; recompile with --gpu-arch " + arch);
  const Driver &d = driver();
  return check(d.primaryCtxRetain(&context, device), "cuDevicePrimaryCtxRetain") &&
         check(d.ctxSetCurrent(context), "cuCtxSetCurrent") &&
         check(d.moduleLoadDataEx(&module, ptx.c_str(), 0, nullptr, nullptr),
               "cuModuleLoadDataEx (JIT-compiling the PTX)");
}

bool CudaKernel::load(const std::string &ptx, const std::string &entry,
                      const std::string &requiredArch) {
  return loadModule(ptx, requiredArch, "kernel", device_, context_, module_) &&
         check(driver().moduleGetFunction(&function_, module_, entry.c_str()),
               ("cuModuleGetFunction for '" + entry + "'").c_str());
}

bool CudaKernel::bindWeights(const uint8_t *w, size_t bytes) {
  const Driver &d = driver();
  if (boundWeights_.count(w))
    return true;
  DeviceBuffer copy;
  if (!check(d.ctxSetCurrent(context_), "cuCtxSetCurrent") ||
      !copy.allocate(bytes, "cuMemAlloc (bound weights)") ||
      !check(d.memcpyHtoD(copy.ptr, w, bytes), "cuMemcpyHtoD (bound weights)"))
    return false;
  boundWeights_[w] = copy.release();
  return true;
}

bool CudaKernel::matmul(const MatmulArgs &args, unsigned blocksX, unsigned blocksY,
                        unsigned threads) {
  const Driver &d = driver();
  if (!check(d.ctxSetCurrent(context_), "cuCtxSetCurrent"))
    return false;
  size_t aBytes = static_cast<size_t>(args.m * args.k), scaleBytes = sizeof(float) * args.m,
         yBytes = sizeof(float) * static_cast<size_t>(args.m * args.n);
  DeviceBuffer a, scale, w, y;
  auto bound = boundWeights_.find(args.w);
  if (!a.allocate(aBytes, "cuMemAlloc (activations)") ||
      !scale.allocate(scaleBytes, "cuMemAlloc (scales)") ||
      !y.allocate(yBytes, "cuMemAlloc (output)") ||
      !check(d.memcpyHtoD(a.ptr, args.a, aBytes), "cuMemcpyHtoD") ||
      !check(d.memcpyHtoD(scale.ptr, args.aScale, scaleBytes), "cuMemcpyHtoD"))
    return false;
  if (bound == boundWeights_.end() &&
      (!w.allocate(static_cast<size_t>(args.packedBytes), "cuMemAlloc (weights)") ||
       !check(d.memcpyHtoD(w.ptr, args.w, static_cast<size_t>(args.packedBytes)), "cuMemcpyHtoD")))
    return false;
  CUdeviceptr weights = bound == boundWeights_.end() ? w.ptr : bound->second;
  // The entry's parameters: the runtime context (unused on a GPU), then as
  // on the CPU.
  CUdeviceptr noRuntime = 0;
  float wScale = args.wScale;
  int64_t m = args.m;
  void *params[] = {&noRuntime, &a.ptr, &scale.ptr, &weights, &wScale, &y.ptr, &m};
  EventTimer timer;
  return timer.create() && timer.begin() &&
         check(d.launchKernel(function_, blocksX, blocksY, 1, threads, 1, 1, 0, nullptr, params,
                              nullptr),
               "cuLaunchKernel") &&
         timer.end(lastSeconds_) && check(d.memcpyDtoH(args.y, y.ptr, yBytes), "cuMemcpyDtoH");
}

CudaModel::~CudaModel() {
  const Driver &d = driver();
  if (context_)
    d.ctxSetCurrent(context_);
  if (stream_)
    d.streamDestroy(stream_);
  if (weights_)
    d.memFree(weights_);
  if (module_)
    d.moduleUnload(module_);
  if (context_)
    d.primaryCtxRelease(device_);
}

bool CudaModel::load(const std::string &ptx, const std::string &requiredArch, const void *weights,
                     size_t weightsBytes) {
  // A blocking stream: its launches stay ordered with the synchronous copies
  // of the tokens and logits.
  if (!loadModule(ptx, requiredArch, "model", device_, context_, module_) ||
      !check(driver().streamCreate(&stream_, 0), "cuStreamCreate"))
    return false;
  weights_ = allocate(weightsBytes, "cuMemAlloc (the model's weights)");
  return weights_ && upload(weights_, weights, weightsBytes);
}

CudaModel::DevicePtr CudaModel::allocate(size_t bytes, const char *what) {
  DeviceBuffer buffer;
  if (!check(driver().ctxSetCurrent(context_), "cuCtxSetCurrent") || !buffer.allocate(bytes, what))
    return 0;
  return buffer.release();
}

void CudaModel::release(DevicePtr ptr) {
  if (ptr)
    driver().memFree(ptr);
}

bool CudaModel::upload(DevicePtr to, const void *from, size_t bytes) {
  return check(driver().memcpyHtoD(to, from, bytes), "cuMemcpyHtoD");
}

bool CudaModel::download(void *to, DevicePtr from, size_t bytes) {
  return check(driver().memcpyDtoH(to, from, bytes), "cuMemcpyDtoH (after the model's kernels)");
}

void CudaModel::launch(const char *kernel, int64_t blocksX, int64_t blocksY, int64_t threads,
                       uint64_t *args, int64_t count) {
  if (!launchError_.empty())
    return;
  const Driver &d = driver();
  auto found = functions_.find(kernel);
  if (found == functions_.end()) {
    Handle function = nullptr;
    if (!check(d.moduleGetFunction(&function, module_, kernel),
               (std::string("cuModuleGetFunction for '") + kernel + "'").c_str())) {
      launchError_ = lastError();
      return;
    }
    found = functions_.emplace(kernel, function).first;
  }
  // Empty grids (no rows) launch nothing.
  if (blocksX <= 0 || blocksY <= 0)
    return;
  std::vector<void *> params(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    params[i] = &args[i];
  if (!check(d.launchKernel(found->second, static_cast<unsigned>(blocksX),
                            static_cast<unsigned>(blocksY), 1, static_cast<unsigned>(threads), 1, 1,
                            0, stream_, params.data(), nullptr),
             (std::string("cuLaunchKernel of '") + kernel + "'").c_str()))
    launchError_ = lastError();
}

bool CudaModel::finish() {
  if (!launchError_.empty()) {
    std::string error = launchError_;
    launchError_.clear();
    return fail(error);
  }
  return check(driver().streamSynchronize(stream_), "cuStreamSynchronize (running the model's kernels)");
}

} // namespace tern::rt
