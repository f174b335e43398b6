//===- GpuLaunch.h - the launch geometry of a GPU kernel --------*- C++ -*-===//
#ifndef TERN_COMPILER_LOWERING_GPULAUNCH_H
#define TERN_COMPILER_LOWERING_GPULAUNCH_H

#include "dialects/tern/TernDialect.h"
#include "targets/Target.h"

namespace tern {

/// How the runtime launches a GPU matmul kernel (simt or mma) of N output
/// rows: threads per block, blocks along x, and the activation rows each
/// block along y covers (blocks along y: ceil(m / rowsPerBlockY)).
struct GpuLaunch {
  int64_t threadsPerBlock, blocksX, rowsPerBlockY;
};
GpuLaunch gpuLaunch(KernelAttr kernel, int64_t n);

/// The attribute on an scf.parallel whose iterations run as GPU blocks: their
/// thread count (tern-lower-model on GPU targets; tern-outline-parallel makes
/// such a loop a kernel).
inline constexpr llvm::StringLiteral kBlockThreadsAttr = "tern.block_threads";

/// The attribute on a function that is a GPU kernel's entry point, holding
/// its threads per block; it becomes the GPU target's own when the function
/// is lowered to LLVM.
inline constexpr llvm::StringLiteral kGpuKernelAttr = "tern.gpu_kernel";

/// A buffer of `type`'s shape in the memory a GPU block's threads share, one
/// per `name` and type in the module (a global of the GPU's shared memory
/// space): `name`_<shape>x<element>.
mlir::Value gpuSharedBuffer(mlir::OpBuilder &b, mlir::Location loc, const GpuMapping &gpu,
                            llvm::StringRef name, mlir::MemRefType type);

/// True for the strategies whose kernels run on GPUs.
bool isGpuStrategy(Strategy strategy);

} // namespace tern

#endif // TERN_COMPILER_LOWERING_GPULAUNCH_H
