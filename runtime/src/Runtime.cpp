//===- Runtime.cpp - the C API of threads, errors and the host CPU ---------===//
#include "runtime/include/tern/runtime.h"
#include "runtime/src/CpuFeatures.h"
#include "runtime/src/Cuda.h"
#include "runtime/src/Error.h"
#include "runtime/src/ThreadPool.h"

#include <thread>

#ifndef TERN_VERSION_STRING
#error "TERN_VERSION_STRING must be defined by the build"
#endif

using namespace tern::rt;

struct tern_runtime {
  explicit tern_runtime(int threads) : pool(threads) {}
  ThreadPool pool;
};

extern "C" {

const char *tern_last_error(void) { return lastError().c_str(); }
const char *tern_version(void) { return TERN_VERSION_STRING; }

tern_runtime *tern_runtime_create(int numThreads) {
  if (numThreads <= 0)
    numThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return new tern_runtime(numThreads);
}

void tern_runtime_destroy(tern_runtime *runtime) { delete runtime; }

int tern_runtime_num_threads(const tern_runtime *runtime) {
  return runtime ? runtime->pool.size() : 0;
}

void tern_parallel_for(void *runtime, int64_t count, tern_task_fn fn, void *closure) {
  static_cast<tern_runtime *>(runtime)->pool.parallelFor(count, fn, closure);
}

void tern_gpu_launch(void *gpu, const char *kernel, int64_t blocksX, int64_t blocksY,
                     int64_t threads, uint64_t *args, int64_t count) {
  static_cast<tern::rt::CudaModel *>(gpu)->launch(kernel, blocksX, blocksY, threads, args, count);
}

int tern_cpu_has_feature(const char *name) { return name ? hostHasFeature(name) : -1; }

const char *tern_cpu_features(void) {
  static const std::string list = [] {
    std::string s;
    for (const CpuFeature &f : hostCpuFeatures())
      if (f.present)
        s += (s.empty() ? "" : ",") + std::string(f.name);
    return s;
  }();
  return list.c_str();
}

const char *tern_cpu_name(void) { return hostCpuName().c_str(); }

const char *tern_host_arch(void) {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

} // extern "C"
