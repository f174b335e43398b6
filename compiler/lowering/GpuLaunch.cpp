//===- GpuLaunch.cpp ------------------------------------------------------===//
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/mma/MmaMatmul.h"
#include "compiler/lowering/simt/SimtMatmul.h"

namespace tern {

GpuLaunch gpuLaunch(KernelAttr kernel, int64_t n) {
  int64_t blocksX = (n + kernel.getTileN() - 1) / kernel.getTileN();
  if (kernel.getStrategy() == Strategy::mma)
    return {mmaThreadsPerBlock(kernel), blocksX, mmaRowsPerBlock(kernel)};
  return {simtThreadsPerBlock(kernel), blocksX, kernel.getTileM()};
}

bool isGpuStrategy(Strategy strategy) {
  return strategy == Strategy::simt || strategy == Strategy::mma;
}

} // namespace tern
