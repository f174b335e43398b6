//===- TernKernelOps.cpp - verifiers of the kernel-level tern ops ---------===//
#include "dialects/tern/TernDialect.h"
#include "dialects/tern/VerifyUtils.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace tern::detail;

#define GET_OP_CLASSES
#include "dialects/tern/TernOps.cpp.inc"

namespace tern {

LogicalResult MatmulOp::verify() {
  TernaryType w = getWeight().getType();
  if (failed(matchSizes(*this, "columns of 'a'", cols(getA()), "K of 'weight'", w.getCols())) ||
      failed(matchSizes(*this, "length of 'a_scale'", rows(getAScale()), "rows of 'a'",
                        rows(getA()))) ||
      failed(matchSizes(*this, "columns of 'out'", cols(getOut()), "N of 'weight'", w.getRows())) ||
      failed(matchSizes(*this, "rows of 'out'", rows(getOut()), "rows of 'a'", rows(getA()))))
    return failure();
  KernelAttr kernel = getKernel();
  Packing packing = w.getPacking().getValue();
  if (!strategySupportsPacking(kernel.getStrategy(), packing))
    return emitOpError("strategy '") << stringifyStrategy(kernel.getStrategy())
                                     << "' cannot read packing '" << stringifyPacking(packing)
                                     << "'";
  return success();
}

LogicalResult VdotOp::verify() {
  int64_t lanes = getAcc().getType().getNumElements();
  int64_t bytes = getLhs().getType().getNumElements();
  if (bytes != getGroupSize() * lanes)
    return emitOpError("int8 operands must have ")
           << getGroupSize() << " elements per int" << getAcc().getType().getElementTypeBitWidth()
           << " accumulator lane: " << bytes << " elements for " << lanes << " lanes";
  if (getLhsMax() < 1 || getLhsMax() > 255)
    return emitOpError("lhs_max must be in [1, 255], got ") << getLhsMax();
  return success();
}

LogicalResult AddPairsOp::verify() {
  int64_t lanes = getAcc().getType().getNumElements();
  int64_t pairs = getPairs().getType().getNumElements();
  if (pairs != 2 * lanes)
    return emitOpError("needs two int16 elements per int32 lane: ")
           << pairs << " elements for " << lanes << " lanes";
  return success();
}

LogicalResult UnpackI2Op::verify() {
  auto plane = static_cast<int64_t>(getPlane()), bias = static_cast<int64_t>(getBias());
  if (plane < 0 || plane > 3)
    return emitOpError("plane must be in [0, 4), got ") << plane;
  if (bias != 0 && bias != -1)
    return emitOpError("bias must be 0 (codes) or -1 (signed weights), got ") << bias;
  return success();
}

LogicalResult TdotOp::verify() {
  if (getPacking() != Packing::i2 && getPacking() != Packing::base3)
    return emitOpError("reads i2 or base3 weights, not ") << stringifyPacking(getPacking());
  int64_t lanes = getAcc().getType().getNumElements();
  int64_t bytes = getWeights().getType().getNumElements();
  if (bytes != 4 * lanes)
    return emitOpError("weights must have 4 bytes per accumulator lane: ")
           << bytes << " bytes for " << lanes << " lanes";
  int64_t activations = getX().getType().getNumElements();
  if (activations % 4 != 0 || activations == 0 || getPlanes() > getPlanesPerByte())
    return emitOpError("x must hold 4 activations for each of 1 to ")
           << getPlanesPerByte() << " planes, got " << activations;
  return success();
}

LogicalResult BufferFromPtrOp::verify() {
  Type type = getResult().getType();
  if (isa<TernaryType>(type)) {
    if (!getSizes().empty())
      return emitOpError("a ternary result takes no sizes");
    return success();
  }
  auto memref = cast<MemRefType>(type);
  if (!memref.getLayout().isIdentity())
    return emitOpError("result must have an identity (row-major) layout");
  if (getSizes().size() != static_cast<size_t>(memref.getNumDynamicDims()))
    return emitOpError("expected ") << memref.getNumDynamicDims()
                                    << " sizes for the dynamic dimensions, got "
                                    << getSizes().size();
  return success();
}

LogicalResult ParallelDispatchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto callee =
      symbolTable.lookupNearestSymbolFrom<FunctionOpInterface>(*this, getCalleeAttr());
  if (!callee)
    return emitOpError("'") << getCallee() << "' does not name a function";
  MLIRContext *ctx = (*this)->getContext();
  SmallVector<Type> expected = {IndexType::get(ctx), IndexType::get(ctx)};
  llvm::append_range(expected, getCaptures().getTypes());
  if (callee.getArgumentTypes() != ArrayRef<Type>(expected) || !callee.getResultTypes().empty())
    return emitOpError("callee '") << getCallee()
                                   << "' must take (index, index, captures...) and return nothing";
  return success();
}

LogicalResult GpuLaunchOp::verify() {
  if (getBlocks().empty() || getBlocks().size() > 2)
    return emitOpError("takes one or two block counts (x, y), got ") << getBlocks().size();
  if (getThreads() < 1 || getThreads() > 1024)
    return emitOpError("threads per block must be between 1 and 1024, got ") << getThreads();
  return success();
}

LogicalResult GpuLaunchOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto kernel = symbolTable.lookupNearestSymbolFrom<FunctionOpInterface>(*this, getKernelAttr());
  if (!kernel)
    return emitOpError("'") << getKernel() << "' does not name a function";
  if (kernel.getArgumentTypes() != ArrayRef<Type>(llvm::to_vector(getArgs().getTypes())) ||
      !kernel.getResultTypes().empty())
    return emitOpError("kernel '") << getKernel()
                                   << "' must take the launch's arguments and return nothing";
  return success();
}

} // namespace tern
