//===- AArch64Target.cpp - the AArch64 backend ----------------------------===//
#include "targets/SubtargetQuery.h"
#include "targets/Target.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ArmNeon/ArmNeonDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

namespace tern {
namespace {

const llvm::StringRef kAArch64Features[] = {"neon",  "fp-armv8", "fullfp16", "dotprod",
                                            "sve",   "i8mm",     "bf16"};

/// acc + dot4(lhs, rhs) in one sdot: lhs <= 127 is also a valid signed byte.
struct VdotToSdot final : OpRewritePattern<VdotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(VdotOp op, PatternRewriter &rewriter) const override {
    if (op.getLhsMax() > 127)
      return rewriter.notifyMatchFailure(op, "sdot reads lhs as signed bytes");
    if (op.getGroupSize() != 4)
      return rewriter.notifyMatchFailure(op, "sdot accumulates in int32");
    int64_t lanes = op.getAcc().getType().getNumElements();
    if (lanes != 4 && lanes != 2)
      return rewriter.notifyMatchFailure(op, "sdot works on 64- and 128-bit vectors");
    rewriter.replaceOpWithNewOp<arm_neon::SdotOp>(op, op.getAcc().getType(), op.getAcc(),
                                                  op.getLhs(), op.getRhs());
    return success();
  }
};

/// table[indices] by tbl, 16 bytes at a time.
struct Lookup16ToTbl final : OpRewritePattern<Lookup16Op> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Lookup16Op op, PatternRewriter &rewriter) const override {
    int64_t bytes = op.getIndices().getType().getNumElements();
    if (bytes % 16 != 0)
      return rewriter.notifyMatchFailure(op, "tbl looks up 16 bytes at a time");
    Location loc = op.getLoc();
    auto quarter = VectorType::get({16}, rewriter.getI8Type());
    Value result = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(op.getType()));
    for (int64_t offset = 0; offset < bytes; offset += 16) {
      Value indices = vector::ExtractStridedSliceOp::create(rewriter, loc, op.getIndices(),
                                                            ArrayRef<int64_t>{offset},
                                                            ArrayRef<int64_t>{16}, ArrayRef<int64_t>{1});
      Value part = LLVM::CallIntrinsicOp::create(rewriter, loc, quarter,
                                                 rewriter.getStringAttr("llvm.aarch64.neon.tbl1"),
                                                 ValueRange{op.getTable(), indices})
                       .getResult(0);
      result = vector::InsertStridedSliceOp::create(rewriter, loc, part, result,
                                                    ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{1});
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

class AArch64Backend final : public TargetBackend {
public:
  llvm::StringRef arch() const override { return "aarch64"; }
  llvm::StringRef defaultTriple() const override { return "aarch64-unknown-linux-gnu"; }

  llvm::Expected<TargetDesc> resolve(llvm::StringRef cpu,
                                     llvm::ArrayRef<std::string> edits) const override {
    std::string codegenCpu, tuneCpu;
    if (cpu == "host") {
      codegenCpu = "generic";
      tuneCpu = llvm::sys::getHostCPUName().str();
    } else {
      // Cortex-A76 (Raspberry Pi 5) is the default: ARMv8.2 with dotprod.
      codegenCpu = tuneCpu = cpu.empty() ? "cortex-a76" : cpu.str();
    }
    auto enabled = resolveFeatures(arch(), defaultTriple(), codegenCpu, cpu == "host", edits,
                                   kAArch64Features);
    if (!enabled)
      return enabled.takeError();
    TargetDesc desc;
    desc.arch = arch().str();
    desc.triple = defaultTriple().str();
    desc.cpu = codegenCpu;
    desc.tuneCpu = tuneCpu;
    desc.features = std::move(*enabled);
    return desc;
  }

  int64_t vectorLanes(const TargetDesc &) const override { return 4; }
  int64_t vectorRegisters(const TargetDesc &) const override { return 32; }

  llvm::StringRef vectorRegisterConstraint(const TargetDesc &) const override { return "w"; }

  int64_t nativeVdotLhsMax(const TargetDesc &target, int64_t lanes) const override {
    return target.hasFeature("dotprod") && (lanes == 4 || lanes == 2) ? 127 : 0;
  }

  bool prefersInt16Vdot(const TargetDesc &, int64_t) const override { return false; }

  void populateVectorOpPatterns(const TargetDesc &target,
                                RewritePatternSet &patterns) const override {
    if (target.hasFeature("dotprod"))
      patterns.add<VdotToSdot>(patterns.getContext(), /*benefit=*/3);
    patterns.add<Lookup16ToTbl>(patterns.getContext(), /*benefit=*/2);
  }
};

} // namespace

const TargetBackend &getAArch64Backend() {
  static const AArch64Backend backend;
  return backend;
}

} // namespace tern
