//===- ConvertToLLVM.cpp - tern kernel ops and upstream dialects to LLVM --===//
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/Passes.h"

#include "dialects/tern/TernDialect.h"
#include "targets/Target.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/MemRefBuilder.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Dialect/AMX/Transforms.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Index/IR/IndexDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/UB/IR/UBOps.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNCONVERTTOLLVM
#include "compiler/lowering/Passes.h.inc"

namespace {

/// A row-major memref descriptor over a bare pointer.
struct BufferFromPtrToLLVM final : ConvertOpToLLVMPattern<BufferFromPtrOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult matchAndRewrite(BufferFromPtrOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = dyn_cast<MemRefType>(op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "packed matrices are lowered by tern-lower-matmul");
    Location loc = op.getLoc();
    MemRefDescriptor desc =
        MemRefDescriptor::poison(rewriter, loc, getTypeConverter()->convertType(type));
    desc.setAllocatedPtr(rewriter, loc, adaptor.getPtr());
    desc.setAlignedPtr(rewriter, loc, adaptor.getPtr());
    desc.setConstantOffset(rewriter, loc, 0);
    SmallVector<Value> sizes;
    auto dynamicSizes = adaptor.getSizes().begin();
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(type.isDynamicDim(d)
                          ? *dynamicSizes++
                          : createIndexAttrConstant(rewriter, loc, getIndexType(), type.getDimSize(d)));
    Value stride = createIndexAttrConstant(rewriter, loc, getIndexType(), 1);
    for (int64_t d = type.getRank() - 1; d >= 0; --d) {
      desc.setSize(rewriter, loc, d, sizes[d]);
      desc.setStride(rewriter, loc, d, stride);
      stride = LLVM::MulOp::create(rewriter, loc, stride, sizes[d]);
    }
    rewriter.replaceOp(op, {desc});
    return success();
  }
};

/// `count` values of `type` on the stack, allocated in the entry block of
/// `op`'s function so that calls in loops do not grow the stack.
Value allocaAtEntry(ConversionPatternRewriter &rewriter, Operation *op, Type type, int64_t count,
                    unsigned alignment) {
  OpBuilder::InsertionGuard guard(rewriter);
  Block &entry = op->getParentOfType<FunctionOpInterface>().getFunctionBody().front();
  rewriter.setInsertionPointToStart(&entry);
  Location loc = op->getLoc();
  Value n = LLVM::ConstantOp::create(rewriter, loc, rewriter.getI64Type(),
                                     rewriter.getI64IntegerAttr(count));
  return LLVM::AllocaOp::create(rewriter, loc, LLVM::LLVMPointerType::get(op->getContext()), type,
                                n, alignment);
}

/// The runtime's C function `name` of `type`, declared once per module.
LLVM::LLVMFuncOp runtimeFunction(ConversionPatternRewriter &rewriter, ModuleOp module,
                                 StringRef name, LLVM::LLVMFunctionType type) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToEnd(module.getBody());
  return LLVM::LLVMFuncOp::create(rewriter, module.getLoc(), name, type);
}

/// tern_parallel_for(runtime, count, trampoline, &closure) where the closure
/// struct holds the captures and the trampoline unpacks it and calls the
/// outlined body.
struct ParallelDispatchToLLVM final : ConvertOpToLLVMPattern<ParallelDispatchOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult matchAndRewrite(ParallelDispatchOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    auto module = op->getParentOfType<ModuleOp>();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto i64Type = IntegerType::get(ctx, 64);

    SmallVector<Type> fieldTypes(ValueRange(adaptor.getCaptures()).getTypes());
    auto closureType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);
    Value closure = allocaAtEntry(rewriter, op, closureType, 1, /*alignment=*/16);
    Value packed = LLVM::PoisonOp::create(rewriter, loc, closureType);
    for (auto [i, capture] : llvm::enumerate(adaptor.getCaptures()))
      packed = LLVM::InsertValueOp::create(rewriter, loc, packed, capture, i);
    LLVM::StoreOp::create(rewriter, loc, packed, closure);

    LLVM::LLVMFuncOp trampoline = getOrCreateTrampoline(rewriter, module, op, closureType);
    Value function = LLVM::AddressOfOp::create(rewriter, loc, ptrType, trampoline.getSymName());
    auto parallelForType = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                                       {ptrType, i64Type, ptrType, ptrType});
    LLVM::LLVMFuncOp parallelFor =
        runtimeFunction(rewriter, module, "tern_parallel_for", parallelForType);
    LLVM::CallOp::create(rewriter, loc, parallelFor,
                         ValueRange{adaptor.getRuntime(), adaptor.getCount(), function, closure});
    rewriter.eraseOp(op);
    return success();
  }

private:
  /// void <callee>_trampoline(ptr closure, i64 begin, i64 end)
  LLVM::LLVMFuncOp getOrCreateTrampoline(ConversionPatternRewriter &rewriter, ModuleOp module,
                                         ParallelDispatchOp op,
                                         LLVM::LLVMStructType closureType) const {
    std::string name = (op.getCallee() + "_trampoline").str();
    if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return existing;
    MLIRContext *ctx = module.getContext();
    Location loc = op.getLoc();
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    auto i64Type = IntegerType::get(ctx, 64);
    auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                            {ptrType, i64Type, i64Type});
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToEnd(module.getBody());
    auto func = LLVM::LLVMFuncOp::create(rewriter, loc, name, type, LLVM::Linkage::Internal);
    Block *body = rewriter.createBlock(&func.getBody(), {}, {ptrType, i64Type, i64Type},
                                       {loc, loc, loc});
    Value closure = LLVM::LoadOp::create(rewriter, loc, closureType, body->getArgument(0));
    SmallVector<Value> args = {body->getArgument(1), body->getArgument(2)};
    for (auto [i, capture] : llvm::enumerate(op.getCaptures())) {
      Value field = LLVM::ExtractValueOp::create(rewriter, loc, closure, i);
      if (auto memref = dyn_cast<MemRefType>(capture.getType()))
        MemRefDescriptor::unpack(rewriter, loc, field, memref, args);
      else
        args.push_back(field);
    }
    LLVM::CallOp::create(rewriter, loc, TypeRange{}, op.getCallee(), args);
    LLVM::ReturnOp::create(rewriter, loc, ValueRange{});
    return func;
  }
};

/// tern_gpu_launch(runtime, "kernel", blocks_x, blocks_y, threads, args,
/// count): the kernel's parameters as the LLVM lowering spells them (each
/// memref its descriptor's fields), each in an 8-byte slot.
struct GpuLaunchToLLVM final : ConvertOpToLLVMPattern<GpuLaunchOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult matchAndRewrite(GpuLaunchOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type i64Type = rewriter.getI64Type();
    auto i64 = [&](int64_t v) -> Value {
      return LLVM::ConstantOp::create(rewriter, loc, i64Type, rewriter.getI64IntegerAttr(v));
    };

    SmallVector<Value> fields;
    for (auto [arg, original] : llvm::zip(adaptor.getArgs(), op.getArgs())) {
      if (auto memref = dyn_cast<MemRefType>(original.getType()))
        MemRefDescriptor::unpack(rewriter, loc, arg, memref, fields);
      else
        fields.push_back(arg);
    }
    Value slots = allocaAtEntry(rewriter, op, i64Type, std::max<size_t>(1, fields.size()),
                                /*alignment=*/8);
    for (auto [i, field] : llvm::enumerate(fields)) {
      Type type = field.getType();
      Value word = field;
      if (isa<LLVM::LLVMPointerType>(type))
        word = LLVM::PtrToIntOp::create(rewriter, loc, i64Type, field);
      else if (type.isF32())
        word = LLVM::ZExtOp::create(rewriter, loc, i64Type,
                                    LLVM::BitcastOp::create(rewriter, loc, rewriter.getI32Type(), field));
      else if (type.isF64())
        word = LLVM::BitcastOp::create(rewriter, loc, i64Type, field);
      else if (type.isInteger() && type.getIntOrFloatBitWidth() < 64)
        word = LLVM::ZExtOp::create(rewriter, loc, i64Type, field);
      else if (type != i64Type)
        return op.emitOpError("cannot pass a value of type ") << type << " to a GPU kernel";
      Value slot = LLVM::GEPOp::create(rewriter, loc, slots.getType(), i64Type, slots,
                                       ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      LLVM::StoreOp::create(rewriter, loc, word, slot);
    }
    Value blocksY = adaptor.getBlocks().size() > 1 ? adaptor.getBlocks()[1] : i64(1);
    auto module = op->getParentOfType<ModuleOp>();
    Type ptrType = rewriter.getType<LLVM::LLVMPointerType>();
    auto launchType = LLVM::LLVMFunctionType::get(
        rewriter.getType<LLVM::LLVMVoidType>(),
        {ptrType, ptrType, i64Type, i64Type, i64Type, ptrType, i64Type});
    LLVM::CallOp::create(rewriter, loc, runtimeFunction(rewriter, module, "tern_gpu_launch", launchType),
                         ValueRange{adaptor.getRuntime(), kernelName(rewriter, loc, module, op.getKernel()),
                                    adaptor.getBlocks()[0], blocksY, i64(op.getThreads()), slots,
                                    i64(fields.size())});
    rewriter.eraseOp(op);
    return success();
  }

private:
  /// The kernel's name as a NUL-terminated string constant, one per kernel.
  static Value kernelName(ConversionPatternRewriter &rewriter, Location loc, ModuleOp module,
                          StringRef kernel) {
    std::string symbol = ("tern_kernel_name_" + kernel).str();
    auto ptrType = LLVM::LLVMPointerType::get(module.getContext());
    if (module.lookupSymbol(symbol))
      return LLVM::AddressOfOp::create(rewriter, loc, ptrType, symbol);
    std::string text = kernel.str();
    text.push_back('\0');
    return LLVM::createGlobalString(loc, rewriter, symbol, text, LLVM::Linkage::Internal);
  }
};

struct TernConvertToLLVMPass final : impl::TernConvertToLLVMBase<TernConvertToLLVMPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    LLVMConversionTarget target(*ctx);
    target.addLegalOp<ModuleOp>();
    // Whatever is left of these dialects is an error here, not something to
    // discover later in the LLVM IR translation.
    target.addIllegalDialect<TernDialect, arith::ArithDialect, cf::ControlFlowDialect,
                             func::FuncDialect, memref::MemRefDialect, math::MathDialect,
                             index::IndexDialect, ub::UBDialect>();
    LLVMTypeConverter converter(ctx);
    RewritePatternSet patterns(ctx);
    arith::populateArithToLLVMConversionPatterns(converter, patterns);
    cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
    populateFuncToLLVMConversionPatterns(converter, patterns);
    populateFinalizeMemRefToLLVMConversionPatterns(converter, patterns);
    populateMathToLLVMConversionPatterns(converter, patterns);
    index::populateIndexToLLVMConversionPatterns(converter, patterns);
    ub::populateUBToLLVMConversionPatterns(converter, patterns);
    populateAMXLegalizeForLLVMExportPatterns(converter, patterns);
    configureAMXLegalizeForExportTarget(target);
    patterns.add<BufferFromPtrToLLVM, ParallelDispatchToLLVM, GpuLaunchToLLVM>(converter);
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
    markGpuKernels();
  }

  /// The entry points of GPU kernels get the target's attribute for them.
  void markGpuKernels() {
    llvm::Expected<TargetDesc> desc = getModuleTarget(getOperation());
    if (!desc) {
      llvm::consumeError(desc.takeError());
      return;
    }
    const GpuMapping *gpu = lookupTargetBackend(desc->arch)->gpuMapping();
    getOperation().walk([&](LLVM::LLVMFuncOp f) {
      auto threads = dyn_cast_if_present<IntegerAttr>(f->removeAttr(kGpuKernelAttr));
      if (gpu && threads)
        gpu->markKernel(f, threads.getInt());
    });
  }
};

} // namespace
} // namespace tern
