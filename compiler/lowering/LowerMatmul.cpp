//===- LowerMatmul.cpp - tern.matmul to loops, per strategy ---------------===//
#include "compiler/lowering/Passes.h"
#include "compiler/lowering/lut/LutMatmul.h"
#include "compiler/lowering/mfree/MfreeMatmul.h"
#include "compiler/lowering/amx/AmxMatmul.h"
#include "mlir/Dialect/AMX/AMXDialect.h"
#include "compiler/lowering/simt/SimtMatmul.h"
#include "compiler/lowering/mma/MmaMatmul.h"
#include "compiler/lowering/rowlut/RowLutMatmul.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNLOWERMATMUL
#include "compiler/lowering/Passes.h.inc"

namespace {

/// Packed ternary matrices become plain pointers to their bytes.
class PackedWeightTypeConverter : public TypeConverter {
public:
  PackedWeightTypeConverter() {
    addConversion([](Type t) { return t; });
    addConversion([](TernaryType t) -> Type { return LLVM::LLVMPointerType::get(t.getContext()); });
  }
};

struct MatmulLowering final : OpConversionPattern<MatmulOp> {
  MatmulLowering(const TypeConverter &converter, MLIRContext *ctx, const TargetDesc *target)
      : OpConversionPattern(converter, ctx), target(target) {}

  LogicalResult matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    MatmulOperands operands{adaptor.getA(), adaptor.getAScale(), adaptor.getWeight(),
                            adaptor.getWeightScale(), adaptor.getOut()};
    // The stack buffers of a matmul (its row sums, padded activations) are
    // freed when it ends: a model runs hundreds of matmuls in one call, and
    // their buffers together passed the 8 MiB stack (2B4T prefill of fewer
    // than 16 tokens on AMX, 16 x K bytes each). (memref.alloca_scope would
    // say the same, but takes one block, which lowering scf breaks.)
    Value stack = LLVM::StackSaveOp::create(rewriter, op.getLoc(),
                                            LLVM::LLVMPointerType::get(op.getContext()));
    rewriter.setInsertionPointAfter(op);
    auto restore = LLVM::StackRestoreOp::create(rewriter, op.getLoc(), stack);
    rewriter.setInsertionPoint(restore);
    switch (op.getKernel().getStrategy()) {
    case Strategy::mfree:
      return lowerMfreeMatmul(op, operands, target, rewriter);
    case Strategy::lut:
      return lowerLutMatmul(op, operands, target, rewriter);
    case Strategy::simt:
      return lowerSimtMatmul(op, operands, target, rewriter);
    case Strategy::amx:
      return lowerAmxMatmul(op, operands, target, rewriter);
    case Strategy::mma:
      return lowerMmaMatmul(op, operands, target, rewriter);
    case Strategy::rowlut:
      return lowerRowLutMatmul(op, operands, target, rewriter);
    }
    return op.emitOpError("has no lowering for its strategy");
  }

  const TargetDesc *target; // null when the module names none
};

/// A pointer viewed as a packed matrix is just the pointer.
struct PackedBufferFromPtr final : OpConversionPattern<BufferFromPtrOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BufferFromPtrOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (!isa<TernaryType>(op.getType()))
      return failure();
    rewriter.replaceOp(op, adaptor.getPtr());
    return success();
  }
};

struct TernLowerMatmulPass final : impl::TernLowerMatmulBase<TernLowerMatmulPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    PackedWeightTypeConverter converter;
    ConversionTarget target(*ctx);
    target.addLegalDialect<arith::ArithDialect, scf::SCFDialect, vector::VectorDialect,
                           memref::MemRefDialect, LLVM::LLVMDialect>();
    target.addIllegalOp<MatmulOp>();
    target.markUnknownOpDynamicallyLegal([&](Operation *op) {
      if (auto func = dyn_cast<FunctionOpInterface>(op))
        return converter.isLegal(func.getArgumentTypes()) &&
               converter.isLegal(func.getResultTypes());
      return converter.isLegal(op);
    });
    std::optional<TargetDesc> kernelTarget;
    if (getOperation()->hasAttr("tern.target")) {
      llvm::Expected<TargetDesc> desc = getModuleTarget(getOperation());
      if (!desc) {
        getOperation().emitError(llvm::toString(desc.takeError()));
        return signalPassFailure();
      }
      kernelTarget = std::move(*desc);
    }
    RewritePatternSet patterns(ctx);
    patterns.add<MatmulLowering>(converter, ctx, kernelTarget ? &*kernelTarget : nullptr);
    patterns.add<PackedBufferFromPtr>(converter, ctx);
    populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns, converter);
    populateCallOpTypeConversionPattern(patterns, converter);
    populateReturnOpTypeConversionPattern(patterns, converter);
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace tern
