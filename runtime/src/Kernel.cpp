//===- Kernel.cpp - loading and calling a kernel written by `ternc kernel` ===//
#include "runtime/include/tern/runtime.h"
#include "runtime/src/Cuda.h"
#include "runtime/src/Error.h"
#include "runtime/src/File.h"
#include "runtime/src/Manifest.h"

#include <dlfcn.h>
#include <memory>

using namespace tern::rt;

// The C signature of a generated matmul entry point.
using MatmulEntry = void (*)(void *runtime, const int8_t *a, const float *aScale, const uint8_t *w,
                             float wScale, float *y, int64_t m);

struct tern_kernel {
  void *library = nullptr;
  MatmulEntry entry = nullptr;
  // NVPTX artifacts: the PTX module on the GPU and its launch geometry.
  std::unique_ptr<CudaKernel> gpu;
  int64_t threadsPerBlock = 0, blocksX = 0, rowsPerBlockY = 0;
  tern_kernel_info info{};
  // Storage behind the strings of `info`.
  std::string packing, strategy, layout, triple, cpu, features;
};

static bool loadKernel(const std::string &dir, tern_kernel &kernel) {
  json::Value root;
  if (!ManifestReader::load(dir, "tern-kernel", root))
    return false;
  ManifestReader reader(joinPath(dir, "manifest.json"));
  const json::Value *matmul, *params, *target;
  std::string library, checksum, entry;
  tern_kernel_info &info = kernel.info;
  if (!reader.object(root, "matmul", matmul) || !reader.object(root, "target", target) ||
      !reader.string(root, "library", library) ||
      !reader.string(root, "library_checksum", checksum) || !reader.string(root, "entry", entry) ||
      !reader.positiveInt(*matmul, "n", info.n, "matmul") ||
      !reader.positiveInt(*matmul, "k", info.k, "matmul") ||
      !reader.positiveInt(*matmul, "m_hint", info.m_hint, "matmul") ||
      !reader.positiveInt(*matmul, "packed_bytes", info.packed_bytes, "matmul") ||
      !reader.positiveInt(*matmul, "slabs", info.slabs, "matmul") ||
      !reader.string(*matmul, "packing", kernel.packing, "matmul") ||
      !reader.string(*matmul, "strategy", kernel.strategy, "matmul") ||
      !reader.string(*matmul, "layout", kernel.layout, "matmul") ||
      !reader.object(*matmul, "kernel", params, "matmul") ||
      !reader.positiveInt(*params, "lanes", info.lanes, "matmul.kernel") ||
      !reader.positiveInt(*params, "tile_n", info.tile_n, "matmul.kernel") ||
      !reader.positiveInt(*params, "tile_m", info.tile_m, "matmul.kernel") ||
      !reader.positiveInt(*params, "unroll_k", info.unroll_k, "matmul.kernel") ||
      !reader.nonNegativeInt(*params, "prefetch", info.prefetch, "matmul.kernel") ||
      !reader.positiveInt(*params, "streams", info.streams, "matmul.kernel") ||
      !reader.string(*target, "triple", kernel.triple, "target") ||
      !reader.string(*target, "cpu", kernel.cpu, "target"))
    return false;
  info.packing = kernel.packing.c_str();
  info.strategy = kernel.strategy.c_str();
  info.layout = kernel.layout.c_str();
  info.target_triple = kernel.triple.c_str();
  info.target_cpu = kernel.cpu.c_str();
  info.target_features = kernel.features.c_str();
  if (library.empty() || library.find('/') != std::string::npos)
    return reader.error("'library' must be a file name inside the artifact directory");
  std::string libraryPath = joinPath(dir, library);
  if (kernel.triple.rfind("nvptx", 0) == 0) {
    const json::Value *launch;
    std::string ptx;
    if (!reader.object(*matmul, "launch", launch, "matmul") ||
        !reader.positiveInt(*launch, "threads_per_block", kernel.threadsPerBlock, "matmul.launch") ||
        !reader.positiveInt(*launch, "blocks_x", kernel.blocksX, "matmul.launch") ||
        !reader.positiveInt(*launch, "rows_per_block_y", kernel.rowsPerBlockY, "matmul.launch") ||
        !checkFileChecksum(reader, libraryPath, checksum) || !readFile(libraryPath, ptx))
      return false;
    kernel.gpu = std::make_unique<CudaKernel>();
    return kernel.gpu->load(ptx, entry, kernel.cpu) ||
           fail(joinPath(dir, "manifest.json") + ": this kernel runs on an NVIDIA GPU: " +
                lastError());
  }
  if (!checkTargetRunsHere(reader, *target, kernel.features))
    return false;
  if (!checkFileChecksum(reader, libraryPath, checksum))
    return false;
  kernel.library = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!kernel.library)
    return fail("cannot load " + libraryPath + ": " + dlerror());
  kernel.entry = reinterpret_cast<MatmulEntry>(dlsym(kernel.library, entry.c_str()));
  if (!kernel.entry)
    return fail(libraryPath + " has no entry point '" + entry + "'");
  return true;
}

extern "C" {

tern_kernel *tern_kernel_load(const char *dir) {
  clearError();
  if (!dir) {
    fail("tern_kernel_load: no directory given");
    return nullptr;
  }
  auto *kernel = new tern_kernel();
  if (!loadKernel(dir, *kernel)) {
    tern_kernel_unload(kernel);
    return nullptr;
  }
  return kernel;
}

void tern_kernel_unload(tern_kernel *kernel) {
  if (!kernel)
    return;
  if (kernel->library)
    dlclose(kernel->library);
  delete kernel;
}

tern_status tern_kernel_bind_weights(tern_kernel *kernel, const uint8_t *w) {
  if (!kernel || !w)
    return fail("tern_kernel_bind_weights: kernel and weights are required"), TERN_ERROR;
  if (!kernel->gpu)
    return TERN_OK;
  return kernel->gpu->bindWeights(w, static_cast<size_t>(kernel->info.packed_bytes)) ? TERN_OK
                                                                                      : TERN_ERROR;
}

double tern_kernel_gpu_seconds(const tern_kernel *kernel) {
  return kernel && kernel->gpu ? kernel->gpu->lastSeconds() : -1;
}

double tern_gpu_bandwidth(void) {
  clearError();
  return cudaMemoryBandwidth();
}

const char *tern_gpu_arch(void) {
  clearError();
  static thread_local std::string arch;
  arch = cudaDeviceArch();
  return arch.empty() ? nullptr : arch.c_str();
}

const tern_kernel_info *tern_kernel_get_info(const tern_kernel *kernel) {
  return kernel ? &kernel->info : nullptr;
}

tern_status tern_kernel_matmul(const tern_kernel *kernel, tern_runtime *runtime, const int8_t *a,
                               const float *aScale, const uint8_t *w, float wScale, float *y,
                               int64_t m) {
  if (!kernel || !runtime)
    return fail("tern_kernel_matmul: kernel and runtime are required"), TERN_ERROR;
  if (m < 1)
    return fail("tern_kernel_matmul: m must be at least 1, got " + std::to_string(m)), TERN_ERROR;
  if (!a || !aScale || !w || !y)
    return fail("tern_kernel_matmul: a null buffer was passed"), TERN_ERROR;
  if (kernel->gpu) {
    const tern_kernel_info &i = kernel->info;
    int64_t blocksY = (m + kernel->rowsPerBlockY - 1) / kernel->rowsPerBlockY;
    return kernel->gpu->matmul({a, aScale, w, wScale, y, m, i.n, i.k, i.packed_bytes},
                               static_cast<unsigned>(kernel->blocksX),
                               static_cast<unsigned>(blocksY),
                               static_cast<unsigned>(kernel->threadsPerBlock))
               ? TERN_OK
               : TERN_ERROR;
  }
  kernel->entry(runtime, a, aScale, w, wScale, y, m);
  return TERN_OK;
}

} // extern "C"
