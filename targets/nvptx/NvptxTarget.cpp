//===- NvptxTarget.cpp - NVIDIA GPUs through LLVM's NVPTX backend ---------===//
//
// simt and mma kernels for sm_80 (A100) and sm_90 (H100), emitted as PTX:
// threads and blocks are NVVM's special registers, warp reductions
// shfl.sync.bfly, each 4-byte tern.vdot step one dp4a (unsigned weights x
// signed activations, accumulated in int32: exactly tern.vdot's semantics),
// and each tensor-core step one mma.sync m16n8k32 on int8.
//
//===----------------------------------------------------------------------===//
#include "targets/Target.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace tern {
namespace {

/// Architectures Tern emits for; PTX ISA 8.0 covers all of them.
const llvm::StringRef kGpuArchs[] = {"sm_80", "sm_86", "sm_89", "sm_90"};

class NvptxMapping final : public GpuMapping {
public:
  Value threadIndex(OpBuilder &b, Location loc) const override {
    return toIndex(b, loc, NVVM::ThreadIdXOp::create(b, loc, b.getI32Type()));
  }
  Value blockIndex(OpBuilder &b, Location loc, int dim) const override {
    Value id = dim == 0 ? Value(NVVM::BlockIdXOp::create(b, loc, b.getI32Type()))
                        : Value(NVVM::BlockIdYOp::create(b, loc, b.getI32Type()));
    return toIndex(b, loc, id);
  }
  Value shuffleXor(OpBuilder &b, Location loc, Value value, int64_t offset) const override {
    auto i32 = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32).getResult(); };
    // Every lane of the warp takes part; lanes are clamped to the warp (31).
    return NVVM::ShflOp::create(b, loc, b.getI32Type(), i32(-1), value, i32(offset), i32(31),
                                NVVM::ShflKind::bfly, UnitAttr());
  }
  SmallVector<Value, 4> mmaInt8(OpBuilder &b, Location loc, ValueRange a, ValueRange bFragment,
                                ValueRange c) const override {
    Type i32 = b.getI32Type();
    auto sums = LLVM::LLVMStructType::getLiteral(b.getContext(), {i32, i32, i32, i32});
    Value result = NVVM::MmaOp::create(b, loc, sums, a, bFragment, c, {16, 8, 32},
                                       /*b1Op=*/std::nullopt, NVVM::MMAIntOverflow::wrapped,
                                       std::array{NVVM::MMATypes::s8, NVVM::MMATypes::s8},
                                       std::array{NVVM::MMALayout::row, NVVM::MMALayout::col});
    SmallVector<Value, 4> out;
    for (int64_t i = 0; i < 4; ++i)
      out.push_back(LLVM::ExtractValueOp::create(b, loc, result, ArrayRef<int64_t>{i}));
    return out;
  }
  void barrier(OpBuilder &b, Location loc) const override { NVVM::Barrier0Op::create(b, loc); }
  // NVPTX's address space 3.
  unsigned sharedMemorySpace() const override { return 3; }
  void markKernel(Operation *function, int64_t threadsPerBlock) const override {
    MLIRContext *ctx = function->getContext();
    function->setAttr(NVVM::NVVMDialect::getKernelFuncAttrName(), UnitAttr::get(ctx));
    // .reqntid: ptxas allocates registers for exactly this block, and a
    // launch of another shape fails instead of computing garbage.
    function->setAttr(NVVM::NVVMDialect::getReqntidAttrName(),
                      DenseI32ArrayAttr::get(ctx, {static_cast<int32_t>(threadsPerBlock), 1, 1}));
  }

private:
  static Value toIndex(OpBuilder &b, Location loc, Value i32) {
    return arith::IndexCastUIOp::create(b, loc, b.getIndexType(), i32);
  }
};

/// A one-lane tern.vdot as dp4a.u32.s32.
struct VdotToDp4a final : OpRewritePattern<VdotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(VdotOp op, PatternRewriter &rewriter) const override {
    if (op.getAcc().getType().getNumElements() != 1 || op.getGroupSize() != 4)
      return rewriter.notifyMatchFailure(op, "dp4a takes one int32 lane");
    Location loc = op.getLoc();
    auto word = VectorType::get({1}, rewriter.getI32Type());
    auto scalar = [&](Value v) -> Value {
      if (cast<VectorType>(v.getType()).getElementType().isInteger(8))
        v = vector::BitCastOp::create(rewriter, loc, word, v);
      return vector::ExtractOp::create(rewriter, loc, v, ArrayRef<int64_t>{0});
    };
    Value sum = LLVM::CallIntrinsicOp::create(
                    rewriter, loc, rewriter.getI32Type(),
                    rewriter.getStringAttr("llvm.nvvm.idp4a.u.s"),
                    ValueRange{scalar(op.getLhs()), scalar(op.getRhs()), scalar(op.getAcc())})
                    .getResult(0);
    rewriter.replaceOpWithNewOp<vector::BroadcastOp>(op, word, sum);
    return success();
  }
};

class NvptxBackend final : public TargetBackend {
public:
  llvm::StringRef arch() const override { return "nvptx64"; }
  llvm::StringRef defaultTriple() const override { return "nvptx64-nvidia-cuda"; }

  llvm::Expected<TargetDesc> resolve(llvm::StringRef cpu,
                                     llvm::ArrayRef<std::string> edits) const override {
    std::string gpu = cpu.empty() ? "sm_80" : cpu.str();
    if (!llvm::is_contained(kGpuArchs, gpu))
      return llvm::createStringError("unknown GPU architecture '" + gpu +
                                     "' for --target nvptx: expected sm_80, sm_86, sm_89 or "
                                     "sm_90");
    if (!edits.empty())
      return llvm::createStringError("--features does not apply to --target nvptx (the GPU "
                                     "architecture fixes them)");
    TargetDesc desc;
    desc.arch = arch().str();
    desc.triple = defaultTriple().str();
    desc.cpu = desc.tuneCpu = gpu;
    desc.features = {"ptx80"};
    return desc;
  }

  // simt kernels: 8 rows per warp, each split into 4 slices of K.
  int64_t vectorLanes(const TargetDesc &) const override { return 8; }
  int64_t vectorRegisters(const TargetDesc &) const override { return 255; }
  llvm::StringRef vectorRegisterConstraint(const TargetDesc &) const override { return "r"; }
  int64_t nativeVdotLhsMax(const TargetDesc &, int64_t lanes) const override {
    return lanes == 1 ? 255 : 0;
  }
  bool prefersInt16Vdot(const TargetDesc &, int64_t) const override { return false; }

  void populateVectorOpPatterns(const TargetDesc &, RewritePatternSet &patterns) const override {
    patterns.add<VdotToDp4a>(patterns.getContext(), /*benefit=*/3);
  }

  const GpuMapping *gpuMapping() const override { return &mapping; }

private:
  NvptxMapping mapping;
};

} // namespace

const TargetBackend &getNvptxBackend() {
  static const NvptxBackend backend;
  return backend;
}

} // namespace tern
