//===- MfreeMatmul.cpp - ternary matmul without multiplications by weights ===//
//
// y[m][n] = (sum_k a[m][k] w[n][k]) / (a_scale[m] w_scale), computed as
//   sum_k a[m][k] (w[n][k] + 1)  -  sum_k a[m][k]
// so that the stored weights w + 1 in {0, 1, 2} are unsigned bytes for an
// unsigned x signed int8 dot-product step (tern.vdot). Each step takes four
// activation bytes broadcast to every 32-bit lane and four weight bytes per
// lane, one output row per lane (packing::MfreeI2Layout).
//
// Loop nest, per block of tile_n output rows (the parallel dimension):
//   for each tile of tile_m activation rows:
//     tile_m x (tile_n / lanes) int32 accumulators in registers
//     for each chunk of 16 K values (unrolled by unroll_k):
//       load tile_n / lanes weight vectors; for each of their 4 bit planes,
//       unpack with a shift and a mask and accumulate into every row
//     subtract the row sums, convert, divide by the scales, store
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/mfree/MfreeMatmul.h"
#include "compiler/packing/MfreeI2Layout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace tern {
namespace {

using packing::MfreeI2Layout;

/// Emits the IR of one tern.matmul; holds the values every part needs.
class MfreeEmitter {
public:
  MfreeEmitter(MatmulOp op, const MatmulOperands &operands, RewriterBase &rewriter)
      : b(rewriter), loc(op.getLoc()), a(operands.a), aScale(operands.aScale),
        weights(operands.weights), wScale(operands.weightScale), out(operands.out) {
    KernelAttr kernel = op.getKernel();
    TernaryType type = op.getWeight().getType();
    layout.n = type.getRows();
    layout.k = type.getCols();
    layout.lanes = kernel.getLanes();
    layout.tileN = kernel.getTileN();
    tileM = kernel.getTileM();
    unrollK = kernel.getUnrollK();
    accType = VectorType::get({layout.lanes}, b.getI32Type());
    byteType = VectorType::get({layout.lanes * 4}, b.getI8Type());
    resultType = VectorType::get({layout.lanes}, b.getF32Type());
  }

  void emit() {
    Value rows = memref::DimOp::create(b, loc, a, 0);
    Value rowSums = emitRowSums(rows);
    Value blocks = index(layout.blocks());
    auto parallel = scf::ParallelOp::create(b, loc, ValueRange{index(0)}, ValueRange{blocks},
                                            ValueRange{index(1)});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(parallel.getBody());
    emitBlock(parallel.getInductionVars()[0], rows, rowSums);
  }

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i64(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 64); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value toI64(Value v) { return arith::IndexCastOp::create(b, loc, b.getI64Type(), v); }
  Value zeros(VectorType t) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, b.getZeroAttr(t.getElementType())));
  }
  Value splatBytes(VectorType t, int64_t v) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(t, b.getI8IntegerAttr(v).getValue()));
  }

  /// rowSums[m] = sum_k a[m][k], with the same vdot step (all-ones weights).
  Value emitRowSums(Value rows) {
    auto sums = memref::AllocaOp::create(b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI32Type()),
                                         ValueRange{rows});
    int64_t vecBytes = 4 * layout.lanes;
    int64_t wide = layout.k / vecBytes * vecBytes;
    Value ones = splatBytes(byteType, 1);
    auto loop = scf::ForOp::create(b, loc, index(0), rows, index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value m = loop.getInductionVar();
    auto inner = scf::ForOp::create(b, loc, index(0), index(wide), index(vecBytes), ValueRange{zeros(accType)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(inner.getBody());
      Value x = vector::LoadOp::create(b, loc, byteType, a, ValueRange{m, inner.getInductionVar()});
      Value acc = VdotOp::create(b, loc, accType, inner.getRegionIterArgs()[0], ones, x);
      scf::YieldOp::create(b, loc, acc);
    }
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, inner.getResult(0));
    auto quadType = VectorType::get({4}, b.getI8Type());
    auto oneLane = VectorType::get({1}, b.getI32Type());
    for (int64_t k = wide; k < layout.k; k += 4) {
      Value x = vector::LoadOp::create(b, loc, quadType, a, ValueRange{m, index(k)});
      Value dot = VdotOp::create(b, loc, oneLane, zeros(oneLane), splatBytes(quadType, 1), x);
      sum = add(sum, vector::ExtractOp::create(b, loc, dot, ArrayRef<int64_t>{0}));
    }
    memref::StoreOp::create(b, loc, sum, sums, ValueRange{m});
    return sums;
  }

  void emitBlock(Value block, Value rows, Value rowSums) {
    Value blockBytes = mul(toI64(block), i64(layout.blockBytes()));
    Value firstRow = mul(block, index(layout.tileN));
    auto emitTiles = [&](int64_t tileRows, Value lower, Value upper) {
      auto loop = scf::ForOp::create(b, loc, lower, upper, index(tileRows));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      emitTile(block, blockBytes, firstRow, loop.getInductionVar(), tileRows, rowSums);
    };
    if (tileM == 1) {
      emitTiles(1, index(0), rows);
      return;
    }
    Value full = arith::SubIOp::create(b, loc, rows, arith::RemUIOp::create(b, loc, rows, index(tileM)));
    emitTiles(tileM, index(0), full);
    emitTiles(1, full, rows);
  }

  using Accumulators = SmallVector<Value>; // [row * vectors + vector]

  void emitTile(Value block, Value blockBytes, Value firstRow, Value m0, int64_t tileRows,
                Value rowSums) {
    int64_t vectors = layout.vectorsPerChunk();
    Accumulators accs(tileRows * vectors, zeros(accType));
    int64_t fullChunks = layout.k / MfreeI2Layout::kChunk;
    int64_t tailPlanes = (layout.k % MfreeI2Layout::kChunk) / MfreeI2Layout::kBytesPerLane;
    int64_t iterations = fullChunks / unrollK;

    auto loop = scf::ForOp::create(b, loc, index(0), index(iterations), index(1), accs);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Accumulators inner(loop.getRegionIterArgs().begin(), loop.getRegionIterArgs().end());
      Value first = mul(loop.getInductionVar(), index(unrollK));
      for (int64_t u = 0; u < unrollK; ++u)
        emitChunk(add(first, index(u)), MfreeI2Layout::kPlanes, blockBytes, m0, tileRows, inner);
      scf::YieldOp::create(b, loc, inner);
    }
    accs.assign(loop.getResults().begin(), loop.getResults().end());
    for (int64_t c = iterations * unrollK; c < fullChunks; ++c)
      emitChunk(index(c), MfreeI2Layout::kPlanes, blockBytes, m0, tileRows, accs);
    if (tailPlanes > 0)
      emitChunk(index(fullChunks), tailPlanes, blockBytes, m0, tileRows, accs);

    int64_t lastRows = layout.n - (layout.blocks() - 1) * layout.tileN;
    if (lastRows == layout.tileN) {
      emitEpilogue(firstRow, m0, tileRows, accs, rowSums, layout.tileN);
      return;
    }
    Value isLast = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, block,
                                         index(layout.blocks() - 1));
    auto branch = scf::IfOp::create(b, loc, isLast, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    emitEpilogue(firstRow, m0, tileRows, accs, rowSums, lastRows);
    b.setInsertionPointToStart(branch.elseBlock());
    emitEpilogue(firstRow, m0, tileRows, accs, rowSums, layout.tileN);
  }

  /// Four activation bytes a[m][k..k+3] in every 32-bit lane.
  Value broadcastQuad(Value m, Value k) {
    auto quadType = VectorType::get({4}, b.getI8Type());
    auto wordType = VectorType::get({1}, b.getI32Type());
    Value quad = vector::LoadOp::create(b, loc, quadType, a, ValueRange{m, k});
    Value word = vector::ExtractOp::create(b, loc, vector::BitCastOp::create(b, loc, wordType, quad),
                                           ArrayRef<int64_t>{0});
    Value lanes = vector::BroadcastOp::create(b, loc, accType, word);
    return vector::BitCastOp::create(b, loc, byteType, lanes);
  }

  /// Bit plane `plane` of the packed bytes: (p >> 2 plane) & 3.
  Value unpackPlane(Value packed, int64_t plane) {
    Value shifted = packed;
    if (plane > 0)
      shifted = arith::ShRUIOp::create(b, loc, packed, splatBytes(byteType, 2 * plane));
    if (plane == MfreeI2Layout::kPlanes - 1)
      return shifted;
    return arith::AndIOp::create(b, loc, shifted, splatBytes(byteType, 3));
  }

  void emitChunk(Value chunk, int64_t planes, Value blockBytes, Value m0, int64_t tileRows,
                 Accumulators &accs) {
    int64_t vectors = layout.vectorsPerChunk();
    Value chunkBytes = add(blockBytes, mul(toI64(chunk), i64(layout.chunkBytes())));
    auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
    SmallVector<Value> packed;
    for (int64_t v = 0; v < vectors; ++v) {
      Value address = LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), weights,
                                          ValueRange{add(chunkBytes, i64(v * layout.vectorBytes()))});
      packed.push_back(LLVM::LoadOp::create(b, loc, byteType, address, /*alignment=*/1));
    }
    Value kBase = mul(chunk, index(MfreeI2Layout::kChunk));
    for (int64_t plane = 0; plane < planes; ++plane) {
      Value k = add(kBase, index(plane * MfreeI2Layout::kBytesPerLane));
      SmallVector<Value> activations;
      for (int64_t r = 0; r < tileRows; ++r)
        activations.push_back(broadcastQuad(add(m0, index(r)), k));
      for (int64_t v = 0; v < vectors; ++v) {
        Value w = unpackPlane(packed[v], plane);
        for (int64_t r = 0; r < tileRows; ++r) {
          Value &acc = accs[r * vectors + v];
          acc = VdotOp::create(b, loc, accType, acc, w, activations[r]);
        }
      }
    }
  }

  void emitEpilogue(Value firstRow, Value m0, int64_t tileRows, const Accumulators &accs,
                    Value rowSums, int64_t validRows) {
    int64_t vectors = layout.vectorsPerChunk();
    for (int64_t r = 0; r < tileRows; ++r) {
      Value m = add(m0, index(r));
      Value rowSum = vector::BroadcastOp::create(
          b, loc, accType, memref::LoadOp::create(b, loc, rowSums, ValueRange{m}));
      Value scale = arith::MulFOp::create(b, loc, memref::LoadOp::create(b, loc, aScale, ValueRange{m}),
                                          wScale);
      Value divisor = vector::BroadcastOp::create(b, loc, resultType, scale);
      for (int64_t v = 0; v < vectors && v * layout.lanes < validRows; ++v) {
        Value exact = arith::SubIOp::create(b, loc, accs[r * vectors + v], rowSum);
        Value y = arith::DivFOp::create(b, loc, arith::SIToFPOp::create(b, loc, resultType, exact),
                                        divisor);
        Value n = add(firstRow, index(v * layout.lanes));
        int64_t valid = validRows - v * layout.lanes;
        if (valid >= layout.lanes) {
          vector::StoreOp::create(b, loc, y, out, ValueRange{m, n});
        } else {
          Value mask = vector::ConstantMaskOp::create(
              b, loc, VectorType::get({layout.lanes}, b.getI1Type()), ArrayRef<int64_t>{valid});
          vector::MaskedStoreOp::create(b, loc, out, ValueRange{m, n}, mask, y);
        }
      }
    }
  }

  RewriterBase &b;
  Location loc;
  Value a, aScale, weights, wScale, out;
  MfreeI2Layout layout;
  int64_t tileM, unrollK;
  VectorType accType, byteType, resultType;
};

} // namespace

LogicalResult lowerMfreeMatmul(MatmulOp op, const MatmulOperands &operands,
                               RewriterBase &rewriter) {
  if (op.getWeight().getType().getPacking().getValue() != Packing::i2)
    return op.emitOpError("the mfree lowering reads only i2 packing");
  MfreeEmitter(op, operands, rewriter).emit();
  rewriter.eraseOp(op);
  return success();
}

KernelAttr defaultMfreeKernel(MLIRContext *ctx, int64_t lanes, int64_t m) {
  return KernelAttr::get(ctx, Strategy::mfree, lanes, /*tile_n=*/2 * lanes,
                         /*tile_m=*/m > 1 ? 4 : 1, /*unroll_k=*/2);
}

} // namespace tern
