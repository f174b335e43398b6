//===- GpuLaunch.cpp ------------------------------------------------------===//
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/mma/MmaMatmul.h"
#include "compiler/lowering/simt/SimtMatmul.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace tern {

GpuLaunch gpuLaunch(KernelAttr kernel, int64_t n) {
  int64_t blocksX = (n + kernel.getTileN() - 1) / kernel.getTileN();
  if (kernel.getStrategy() == Strategy::mma)
    return {mmaThreadsPerBlock(kernel), blocksX, mmaRowsPerBlock(kernel)};
  return {simtThreadsPerBlock(kernel), blocksX, kernel.getTileM()};
}

Value gpuSharedBuffer(OpBuilder &b, Location loc, const GpuMapping &gpu, StringRef name,
                      MemRefType type) {
  auto shared = MemRefType::get(type.getShape(), type.getElementType(), MemRefLayoutAttrInterface(),
                                b.getI64IntegerAttr(gpu.sharedMemorySpace()));
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  std::string symbol;
  llvm::raw_string_ostream os(symbol);
  os << name;
  for (int64_t size : type.getShape())
    os << "_" << size;
  os << "x" << type.getElementType();
  if (!module.lookupSymbol(symbol)) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    // 16-byte aligned: threads read it in vectors of up to 16 bytes.
    memref::GlobalOp::create(b, loc, symbol, b.getStringAttr("private"), shared, b.getUnitAttr(),
                             /*constant=*/false, b.getI64IntegerAttr(16));
  }
  return memref::GetGlobalOp::create(b, loc, shared, symbol);
}

bool isGpuStrategy(Strategy strategy) {
  return strategy == Strategy::simt || strategy == Strategy::mma;
}

} // namespace tern
