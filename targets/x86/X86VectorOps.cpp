//===- X86VectorOps.cpp - tern vector ops on x86 --------------------------===//
#include "targets/x86/X86Target.h"
#include "targets/Target.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace tern {
namespace {

/// The vector width of a tern.vdot in 32-bit lanes.
int64_t lanesOf(VdotOp op) { return op.getLhs().getType().getNumElements() / 4; }

/// Which x86 instructions a target has for tern.vdot.
struct VdotSupport {
  bool vnniNarrow, vnniWide; // vpdpbusd on xmm/ymm, on zmm
  bool sse, avx2, avx512;    // pmaddubsw on xmm, ymm, zmm

  explicit VdotSupport(const TargetDesc &target)
      : vnniNarrow(target.hasFeature("avxvnni") ||
                   (target.hasFeature("avx512vnni") && target.hasFeature("avx512vl"))),
        vnniWide(target.hasFeature("avx512vnni")), sse(target.hasFeature("ssse3")),
        avx2(target.hasFeature("avx2")), avx512(target.hasFeature("avx512bw")) {}

  bool vpdpbusd(int64_t lanes) const {
    return lanes == 16 ? vnniWide : (lanes == 8 || lanes == 4) && vnniNarrow;
  }
  bool pmaddubsw(int64_t lanes) const {
    return lanes == 16 ? avx512 : lanes == 8 ? avx2 : lanes == 4 && sse;
  }
};

Value callIntrinsic(PatternRewriter &rewriter, Location loc, Type result, StringRef name,
                    ValueRange args) {
  return LLVM::CallIntrinsicOp::create(rewriter, loc, result, rewriter.getStringAttr(name), args)
      .getResult(0);
}

/// The int32 sums of the int16 pairs of `pairs`: pmaddwd by ones.
Value sumPairs(PatternRewriter &rewriter, Location loc, Value pairs) {
  auto type = cast<VectorType>(pairs.getType());
  int64_t lanes = type.getNumElements() / 2;
  StringRef name = lanes == 16  ? "llvm.x86.avx512.pmaddw.d.512"
                   : lanes == 8 ? "llvm.x86.avx2.pmadd.wd"
                                : "llvm.x86.sse2.pmadd.wd";
  Value ones = arith::ConstantOp::create(
      rewriter, loc, DenseElementsAttr::get(type, rewriter.getI16IntegerAttr(1).getValue()));
  return callIntrinsic(rewriter, loc, VectorType::get({lanes}, rewriter.getI32Type()), name,
                       {pairs, ones});
}

/// acc + dot4(u8 lhs, s8 rhs) in one vpdpbusd.
struct VdotToVpdpbusd final : OpRewritePattern<VdotOp> {
  VdotToVpdpbusd(MLIRContext *ctx, VdotSupport support)
      : OpRewritePattern(ctx, /*benefit=*/3), support(support) {}

  LogicalResult matchAndRewrite(VdotOp op, PatternRewriter &rewriter) const override {
    int64_t lanes = lanesOf(op);
    if (op.getGroupSize() != 4)
      return rewriter.notifyMatchFailure(op, "vpdpbusd accumulates in int32");
    if (!support.vpdpbusd(lanes))
      return rewriter.notifyMatchFailure(op, "no vpdpbusd of this width on the target");
    std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(lanes * 32);
    rewriter.replaceOp(op, callIntrinsic(rewriter, op.getLoc(), op.getAcc().getType(), name,
                                         {op.getAcc(), op.getLhs(), op.getRhs()}));
    return success();
  }

  VdotSupport support;
};

/// acc + pmaddwd(pmaddubsw(lhs, rhs), 1) for int32 accumulators, acc +
/// pmaddubsw(lhs, rhs) for int16 ones: exact when lhs <= 127 keeps the
/// saturating 16-bit pair sums within range.
struct VdotToMaddubs final : OpRewritePattern<VdotOp> {
  VdotToMaddubs(MLIRContext *ctx, VdotSupport support)
      : OpRewritePattern(ctx, /*benefit=*/2), support(support) {}

  LogicalResult matchAndRewrite(VdotOp op, PatternRewriter &rewriter) const override {
    if (op.getLhsMax() > 127)
      return rewriter.notifyMatchFailure(op, "pmaddubsw would saturate");
    int64_t lanes = lanesOf(op);
    if (!support.pmaddubsw(lanes))
      return rewriter.notifyMatchFailure(op, "no pmaddubsw of this width on the target");
    StringRef maddubs = lanes == 16  ? "llvm.x86.avx512.pmaddubs.w.512"
                        : lanes == 8 ? "llvm.x86.avx2.pmadd.ub.sw"
                                     : "llvm.x86.ssse3.pmadd.ub.sw.128";
    Location loc = op.getLoc();
    auto i16Vec = VectorType::get({lanes * 2}, rewriter.getI16Type());
    Value pairs = callIntrinsic(rewriter, loc, i16Vec, maddubs, {op.getLhs(), op.getRhs()});
    if (op.getGroupSize() == 2) {
      rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(), pairs);
      return success();
    }
    rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(), sumPairs(rewriter, loc, pairs));
    return success();
  }

  VdotSupport support;
};

/// acc + pmaddwd(pairs, 1): one multiply-add instead of two shifts per half.
struct AddPairsToPmaddwd final : OpRewritePattern<AddPairsOp> {
  AddPairsToPmaddwd(MLIRContext *ctx, VdotSupport support)
      : OpRewritePattern(ctx, /*benefit=*/2), support(support) {}

  LogicalResult matchAndRewrite(AddPairsOp op, PatternRewriter &rewriter) const override {
    // pmaddwd comes with pmaddubsw at every width.
    if (!support.pmaddubsw(op.getAcc().getType().getNumElements()))
      return rewriter.notifyMatchFailure(op, "no pmaddwd of this width on the target");
    rewriter.replaceOpWithNewOp<arith::AddIOp>(op, op.getAcc(),
                                               sumPairs(rewriter, op.getLoc(), op.getPairs()));
    return success();
  }

  VdotSupport support;
};

/// table[indices] by pshufb, the 16-byte table repeated in every 128-bit lane
/// (pshufb looks up within its lane).
struct Lookup16ToPshufb final : OpRewritePattern<Lookup16Op> {
  Lookup16ToPshufb(MLIRContext *ctx, VdotSupport support)
      : OpRewritePattern(ctx, /*benefit=*/2), support(support) {}

  LogicalResult matchAndRewrite(Lookup16Op op, PatternRewriter &rewriter) const override {
    int64_t bytes = op.getIndices().getType().getNumElements();
    // pshufb comes with pmaddubsw: SSSE3, AVX2, AVX-512BW.
    if (bytes % 16 != 0 || !support.pmaddubsw(bytes / 4))
      return rewriter.notifyMatchFailure(op, "no pshufb of this width on the target");
    StringRef name = bytes == 64   ? "llvm.x86.avx512.pshuf.b.512"
                     : bytes == 32 ? "llvm.x86.avx2.pshuf.b"
                                   : "llvm.x86.ssse3.pshuf.b.128";
    SmallVector<int64_t> repeat;
    for (int64_t i = 0; i < bytes; ++i)
      repeat.push_back(i % 16);
    Value table = vector::ShuffleOp::create(rewriter, op.getLoc(), op.getTable(), op.getTable(), repeat);
    rewriter.replaceOp(op, callIntrinsic(rewriter, op.getLoc(), op.getType(), name,
                                         {table, op.getIndices()}));
    return success();
  }

  VdotSupport support;
};

/// tern.unpack_i2 in one GF2P8AFFINEQB: an affine map over GF(2) of each
/// byte, y = A x ^ c, where row 7 - j of the 8 x 8 bit matrix A (byte 7 - j
/// of every qword) says which bits of x make bit j of y. Codes: bit j < 2
/// of y is bit 2 plane + j of x. Signed weights (-1, 0, 1 for codes 0, 1,
/// 2): c = 0xff, and code bits 0 and 1 flip y by 0xff and 0xfe, so bit 0
/// of y is c ^ bit 0 of the code and the bits above c ^ both (code 3 gives
/// 0xfe).
struct UnpackI2ToGf2p8affine final : OpRewritePattern<UnpackI2Op> {
  UnpackI2ToGf2p8affine(MLIRContext *ctx, const TargetDesc &target)
      : OpRewritePattern(ctx, /*benefit=*/2), gfni(target.hasFeature("gfni")),
        avx(target.hasFeature("avx")), avx512(target.hasFeature("avx512bw")) {}

  LogicalResult matchAndRewrite(UnpackI2Op op, PatternRewriter &rewriter) const override {
    int64_t bytes = op.getType().getNumElements();
    bool native = gfni && (bytes == 64 ? avx512 : bytes == 32 ? avx : bytes == 16);
    if (!native)
      return rewriter.notifyMatchFailure(op, "no GF2P8AFFINEQB of this width on the target");
    uint64_t low = uint64_t(1) << (2 * op.getPlane()), both = low | (low << 1);
    bool weights = op.getBias() != 0; // bias -1
    uint64_t matrix = 0;
    for (int64_t bit = 0; bit < 8; ++bit) {
      uint64_t row = weights ? (bit == 0 ? low : both) : bit < 2 ? low << bit : 0;
      matrix |= row << (8 * (7 - bit));
    }
    Location loc = op.getLoc();
    auto qwords = VectorType::get({bytes / 8}, rewriter.getI64Type());
    Value matrices = vector::BitCastOp::create(
        rewriter, loc, op.getType(),
        arith::ConstantOp::create(rewriter, loc,
                                  DenseElementsAttr::get(qwords, rewriter.getI64IntegerAttr(
                                                                     static_cast<int64_t>(matrix))
                                                                     .getValue())));
    StringRef name = bytes == 64   ? "llvm.x86.vgf2p8affineqb.512"
                     : bytes == 32 ? "llvm.x86.vgf2p8affineqb.256"
                                   : "llvm.x86.vgf2p8affineqb.128";
    Value constant = arith::ConstantOp::create(rewriter, loc, rewriter.getI8IntegerAttr(weights ? -1 : 0));
    rewriter.replaceOp(op, callIntrinsic(rewriter, loc, op.getType(), name,
                                         {op.getPacked(), matrices, constant}));
    return success();
  }

  bool gfni, avx, avx512;
};

} // namespace

int64_t x86NativeVdotLhsMax(const TargetDesc &target, int64_t lanes) {
  VdotSupport support(target);
  return support.vpdpbusd(lanes) ? 255 : support.pmaddubsw(lanes) ? 127 : 0;
}

bool x86PrefersInt16Vdot(const TargetDesc &target, int64_t lanes) {
  VdotSupport support(target);
  return !support.vpdpbusd(lanes) && support.pmaddubsw(lanes);
}

void populateX86VectorOpPatterns(const TargetDesc &target, RewritePatternSet &patterns) {
  patterns.add<VdotToVpdpbusd, VdotToMaddubs, AddPairsToPmaddwd, Lookup16ToPshufb>(patterns.getContext(),
                                                                VdotSupport(target));
  patterns.add<UnpackI2ToGf2p8affine>(patterns.getContext(), target);
}

} // namespace tern
