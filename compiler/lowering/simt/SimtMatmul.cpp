//===- SimtMatmul.cpp - ternary GEMV/GEMM as GPU threads ------------------===//
//
// The weights are in the mfree i2 layout (packing::MfreeLayout): in a block
// of tile_n rows, each chunk of 16 columns is tile_n / lanes vectors of
// `lanes` 32-bit words, word j holding the 16 weights (w + 1, four 2-bit
// planes) of row j of the vector. A warp (32 threads) takes one vector:
// thread t takes row t % lanes and slice t / lanes of the chunks (streams =
// 32 / lanes slices), so that the lanes threads of a slice read adjacent
// words. Per chunk a thread loads its word, and for each plane s masks
// (word >> 2s) & 0x03030303 into four {0,1,2} bytes, one dp4a step with the
// activation word a[16c + 4s .. +4), and one with 0x01010101 for sum a.
// The warp's slices are summed by xor shuffles (offsets lanes, 2 lanes, ...,
// 16), and the first slice writes (sum - sum a) / (a_scale * w_scale).
// Each thread serves tile_m activation rows with one decoded weight. The
// block first copies its tile_m activation rows (up to 40 KiB) into shared
// memory, which all its warps then read.
//
// On a GPU target (TargetBackend::gpuMapping) block x is the block of rows,
// block y the tile of activation rows, thread x / 32 the vector. Elsewhere
// the same threads run in loops, the slices summed in order: int32 sums
// wrap the same in any order, so the result is the GPU's bit for bit, and
// testing it on the host tests everything but the mapping.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/simt/SimtMatmul.h"
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/KernelLayouts.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace tern {
namespace {

using packing::MfreeLayout;

constexpr int64_t kWarp = 32;

class SimtEmitter : MatmulEmitter {
public:
  SimtEmitter(MatmulOp op, const MatmulOperands &operands, const TargetDesc *target,
              RewriterBase &rewriter)
      : MatmulEmitter(op, operands, target, rewriter),
        mapping(target ? lookupTargetBackend(target->arch)->gpuMapping() : nullptr),
        kernel(op.getKernel()) {
    layout.p = weightLayout(kernel, Packing::i2, n, k);
    tileM = kernel.getTileM();
    unrollK = kernel.getUnrollK();
    slices = kernel.getStreams();
    word = VectorType::get({1}, b.getI32Type());
    quad = VectorType::get({4}, b.getI8Type());
  }

  void emit() {
    Value rows = memref::DimOp::create(b, loc, a, 0);
    int64_t lanes = layout.p.lanes;
    if (mapping) {
      Value block = mapping->blockIndex(b, loc, 0);
      Value m0 = mul(mapping->blockIndex(b, loc, 1), index(tileM));
      Value thread = mapping->threadIndex(b, loc);
      Value vector = arith::DivUIOp::create(b, loc, thread, index(kWarp));
      Value lane = arith::RemUIOp::create(b, loc, thread, index(kWarp));
      Value row = arith::RemUIOp::create(b, loc, lane, index(lanes));
      Value slice = arith::DivUIOp::create(b, loc, lane, index(lanes));
      Tile tile = stageActivations(m0, rows, thread);
      SmallVector<Value> sums = threadSums(block, vector, row, slice, tile);
      for (int64_t offset = lanes; offset < kWarp; offset *= 2)
        for (Value &s : sums)
          s = add(s, mapping->shuffleXor(b, loc, s, offset));
      Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, slice, index(0));
      auto ifFirst = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifFirst.thenBlock());
      store(block, vector, row, m0, rows, sums);
      return;
    }
    emitParallel(index(layout.blocks()), [&](Value block) {
      auto tiles = scf::ForOp::create(b, loc, index(0), rows, index(tileM));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(tiles.getBody());
      Value m0 = tiles.getInductionVar();
      Tile tile = stageActivations(m0, rows, index(0));
      auto vectors = scf::ForOp::create(b, loc, index(0), index(layout.vectorsPerChunk()), index(1));
      b.setInsertionPointToStart(vectors.getBody());
      auto rowLoop = scf::ForOp::create(b, loc, index(0), index(lanes), index(1));
      b.setInsertionPointToStart(rowLoop.getBody());
      SmallVector<Value> init(2 * tileM, zeroWord());
      auto sliceLoop = scf::ForOp::create(b, loc, index(0), index(slices), index(1), init);
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(sliceLoop.getBody());
        SmallVector<Value> partial =
            threadSums(block, vectors.getInductionVar(), rowLoop.getInductionVar(),
                       sliceLoop.getInductionVar(), tile);
        for (size_t i = 0; i < partial.size(); ++i)
          partial[i] = add(sliceLoop.getRegionIterArgs()[i], partial[i]);
        scf::YieldOp::create(b, loc, partial);
      }
      store(block, vectors.getInductionVar(), rowLoop.getInductionVar(), m0, rows,
            SmallVector<Value>(sliceLoop.getResults()));
    });
  }

private:
  Value zeroWord() { return arith::ConstantIntOp::create(b, loc, 0, 32); }

  /// Where a tile's activation rows are read: a copy of the rows or `a`
  /// itself, and the row of each in it.
  struct Tile {
    Value activations;
    SmallVector<Value> rows;
  };

  /// Staged copies larger than this stay in `a` (48 KiB of shared memory a
  /// block may have without opting in, less room for the rest).
  static constexpr int64_t kMaxStagedBytes = 40 << 10;

  /// The tile's tile_m activation rows copied once into memory the block
  /// shares (GPU shared memory; the stack where threads run in loops), so
  /// that the warps' many reads of them leave global memory alone. Threads
  /// copy 4-byte words in turn starting at `thread`, then wait for each other.
  Tile stageActivations(Value m0, Value rows, Value thread) {
    Tile tile;
    if (tileM * k > kMaxStagedBytes) {
      tile.activations = a;
      for (int64_t r = 0; r < tileM; ++r)
        tile.rows.push_back(activationRow(m0, index(r), rows));
      return tile;
    }
    auto type = MemRefType::get({tileM, k}, b.getI8Type());
    tile.activations = mapping ? gpuSharedBuffer(b, loc, *mapping, "tern_simt_activations", type)
                               : memref::AllocaOp::create(b, loc, type).getResult();
    int64_t wordsPerRow = k / 4;
    Value step = index(mapping ? simtThreadsPerBlock(kernel) : 1);
    auto copy = scf::ForOp::create(b, loc, thread, index(tileM * wordsPerRow), step);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(copy.getBody());
      Value w = copy.getInductionVar();
      Value r = arith::DivUIOp::create(b, loc, w, index(wordsPerRow));
      Value col = mul(arith::RemUIOp::create(b, loc, w, index(wordsPerRow)), index(4));
      Value x = vector::LoadOp::create(b, loc, quad, a, ValueRange{activationRow(m0, r, rows), col},
                                       /*nontemporal=*/false, b.getI64IntegerAttr(4));
      vector::StoreOp::create(b, loc, x, tile.activations, ValueRange{r, col}, /*nontemporal=*/false,
                              b.getI64IntegerAttr(4));
    }
    if (mapping)
      mapping->barrier(b, loc);
    for (int64_t r = 0; r < tileM; ++r)
      tile.rows.push_back(index(r));
    return tile;
  }

  /// Activation row m0 + r, clamped to the last row so that a partial tile
  /// reads valid memory (its results are not stored).
  Value activationRow(Value m0, Value r, Value rows) {
    Value last = arith::SubIOp::create(b, loc, rows, index(1));
    return arith::MinUIOp::create(b, loc, add(m0, r), last);
  }

  /// The four {0,1,2} weight bytes of plane `plane` of a packed word.
  Value plane(Value packed, int64_t plane) {
    auto c = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32).getResult(); };
    Value shifted = plane ? arith::ShRUIOp::create(b, loc, packed, c(2 * plane)) : packed;
    Value masked = arith::AndIOp::create(b, loc, shifted, c(0x03030303));
    return asQuad(masked);
  }

  Value asQuad(Value i32) {
    return vector::BitCastOp::create(b, loc, quad, vector::BroadcastOp::create(b, loc, word, i32));
  }

  Value dot(Value acc, Value lhs, Value rhs, int64_t lhsMax) {
    Value sum = VdotOp::create(b, loc, word, vector::BroadcastOp::create(b, loc, word, acc), lhs,
                               rhs, b.getI64IntegerAttr(lhsMax));
    return vector::ExtractOp::create(b, loc, sum, ArrayRef<int64_t>{0});
  }

  /// One chunk (or its first `planes` planes) into sums: [dot, sum a] per row.
  void chunk(Value block, Value vector, Value row, Value c, int64_t planes, const Tile &tile,
             SmallVector<Value> &sums) {
    Value offset = add(add(mul(toI64(block), i64(layout.blockBytes())),
                           mul(toI64(c), i64(layout.chunkBytes()))),
                       add(mul(toI64(vector), i64(layout.vectorBytes())), mul(toI64(row), i64(4))));
    auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
    Value address = LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), weights, ValueRange{offset});
    Value packed = LLVM::LoadOp::create(b, loc, b.getI32Type(), address, /*alignment=*/4);
    Value ones = asQuad(arith::ConstantIntOp::create(b, loc, 0x01010101, 32));
    for (int64_t s = 0; s < planes; ++s) {
      Value w = plane(packed, s);
      Value col = add(mul(c, index(layout.chunk())), index(s * MfreeLayout::kBytesPerLane));
      for (int64_t r = 0; r < tileM; ++r) {
        // Four-byte aligned: K and col are multiples of 4 (one 32-bit load).
        Value x = vector::LoadOp::create(b, loc, quad, tile.activations, ValueRange{tile.rows[r], col},
                                         /*nontemporal=*/false, b.getI64IntegerAttr(4));
        sums[2 * r] = dot(sums[2 * r], w, x, 2);
        sums[2 * r + 1] = dot(sums[2 * r + 1], ones, x, 1);
      }
    }
  }

  /// The thread's [dot, sum a] per activation row over its slice of K.
  SmallVector<Value> threadSums(Value block, Value vector, Value row, Value slice,
                                const Tile &tile) {
    int64_t chunks = k / layout.chunk();
    int64_t tailPlanes = (k % layout.chunk()) / MfreeLayout::kBytesPerLane;
    Value begin = arith::DivUIOp::create(b, loc, mul(slice, index(chunks)), index(slices));
    Value end = arith::DivUIOp::create(b, loc, mul(add(slice, index(1)), index(chunks)),
                                       index(slices));
    // [begin, end) in steps of unroll_k chunks, then one at a time.
    Value count = arith::SubIOp::create(b, loc, end, begin);
    Value unrolledEnd =
        add(begin, mul(arith::DivUIOp::create(b, loc, count, index(unrollK)), index(unrollK)));
    SmallVector<Value> sums(2 * tileM, zeroWord());
    auto loopOver = [&](Value from, Value to, int64_t step) {
      auto loop = scf::ForOp::create(b, loc, from, to, index(step), sums);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> inner(loop.getRegionIterArgs());
      for (int64_t u = 0; u < step; ++u)
        chunk(block, vector, row, add(loop.getInductionVar(), index(u)), layout.planes(), tile,
              inner);
      scf::YieldOp::create(b, loc, inner);
      b.setInsertionPointAfter(loop);
      sums.assign(loop.getResults().begin(), loop.getResults().end());
    };
    loopOver(begin, unrolledEnd, unrollK);
    loopOver(unrolledEnd, end, 1);
    if (tailPlanes > 0) {
      // The last slice also takes the columns after the last whole chunk.
      Value last = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, slice,
                                         index(slices - 1));
      auto ifLast = scf::IfOp::create(b, loc, TypeRange(ValueRange(sums)), last, true);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(ifLast.thenBlock());
        SmallVector<Value> withTail = sums;
        chunk(block, vector, row, index(chunks), tailPlanes, tile, withTail);
        scf::YieldOp::create(b, loc, withTail);
        b.setInsertionPointToStart(ifLast.elseBlock());
        scf::YieldOp::create(b, loc, sums);
      }
      sums.assign(ifLast.getResults().begin(), ifLast.getResults().end());
    }
    return sums;
  }

  /// y[m0 + r][n] = (dot - sum a) / (a_scale * w_scale) for the rows that
  /// exist.
  void store(Value block, Value vector, Value row, Value m0, Value rows, ArrayRef<Value> sums) {
    Value nRow = add(add(mul(block, index(layout.p.tileN)), mul(vector, index(layout.p.lanes))), row);
    for (int64_t r = 0; r < tileM; ++r)
      storeOneIfInside(add(m0, index(r)), nRow, rows,
                       arith::SubIOp::create(b, loc, sums[2 * r], sums[2 * r + 1]));
  }

  const GpuMapping *mapping;
  KernelAttr kernel;
  MfreeLayout layout;
  int64_t tileM, unrollK, slices;
  VectorType word, quad;
};

} // namespace

LogicalResult lowerSimtMatmul(MatmulOp op, const MatmulOperands &operands,
                              const TargetDesc *target, RewriterBase &rewriter) {
  if (op.getWeight().getType().getPacking().getValue() != Packing::i2)
    return op.emitOpError("the simt lowering reads the i2 packing");
  SimtEmitter(op, operands, target, rewriter).emit();
  rewriter.eraseOp(op);
  return success();
}

KernelAttr defaultSimtKernel(MLIRContext *ctx, int64_t m) {
  return KernelAttr::get(ctx, Strategy::simt, /*lanes=*/8, /*tile_n=*/64,
                         /*tile_m=*/m > 1 ? 4 : 1, /*unroll_k=*/2, /*prefetch=*/0,
                         /*streams=*/4);
}

SearchSpace simtSearchSpace(int64_t m) {
  // lanes and streams go together (lanes x streams = 32): the verifier keeps
  // the pairs that fill a warp.
  std::vector<ParameterRange> params = {
      {"lanes", {4, 8, 16}},
      {"tile_n", {16, 32, 64, 128}},
      {"tile_m", m == 1 ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 2, 4, 8}},
      {"unroll_k", {1, 2, 4}},
      {"streams", {2, 4, 8}}};
  auto work = [](const Candidate &c, int64_t m) -> int64_t {
    return c.kernel.getUnrollK() * 16 * std::min(c.kernel.getTileM(), m);
  };
  return SearchSpace(Strategy::simt, {Packing::i2}, /*lanes=*/8, std::move(params), work);
}

int64_t simtThreadsPerBlock(KernelAttr kernel) {
  return kWarp * (kernel.getTileN() / kernel.getLanes());
}

int64_t simtBlocksX(KernelAttr kernel, int64_t n) {
  return (n + kernel.getTileN() - 1) / kernel.getTileN();
}

} // namespace tern
