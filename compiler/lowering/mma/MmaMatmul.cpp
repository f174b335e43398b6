//===- MmaMatmul.cpp - ternary GEMM on GPU tensor cores -------------------===//
//
// y[m][n] = (sum_k a[m][k] w[n][k]) / (a_scale[m] w_scale) by int8 MMA steps
// of shape m16n8k32: a 16 x 32 tile of activations (row-major) times a
// 32 x 8 tile of weights (column-major, i.e. 32 consecutive K values of 8
// output rows) into 16 x 8 int32 sums, spread over the 32 threads of a warp
// in PTX's fragment layout. With g = lane / 4 and t = lane % 4, a thread
// holds
//   A: 4 words, A[g + 8 (r % 2)][4t + 16 (r / 2) + 0..3] for r < 4
//   B: 2 words, B[4t + 16 r + 0..3][g] for r < 2
//   C: 4 sums,  C[g + 8 (r / 2)][2t + r % 2] for r < 4.
//
// The weights are the mfree i2 layout (packing::MfreeLayout) with 8 lanes:
// a vector of a chunk is one 32-bit word of 16 weights (w + 1, four 2-bit
// planes) for each of 8 output rows, so plane s of row g's word holds the
// four K values 16c + 4s + 0..3, exactly a B word for t = s: B word r of
// a step is plane t of chunk 2 step + r. Unpacking is a shift and a mask,
// then w = ((p | 0x80808080) - 0x01010101) ^ 0x80808080 turns the {0, 1, 2}
// bytes into {-1, 0, 1} without borrows between them; the sums are then the
// exact dot products and need no activation row sums.
//
// Grid: block x the block of tile_n output rows, block y the 16 tile_m
// activation rows; warp w of a block the streams weight tiles of 8 rows
// starting at row 8 streams w of the block. Each warp keeps tile_m x
// streams accumulator tiles over K, 32 values a step, unroll_k steps a loop
// iteration. Activation rows past M are clamped for loading and not stored;
// K values past K load as zero activations.
//
// On a GPU target each step is one mma.sync per accumulator tile
// (GpuMapping::mmaInt8). Elsewhere a warp's threads run in loops: each
// loads its fragments with the same code, the fragments go to arrays, the
// step is computed element by element from them through the layout above,
// and each thread stores its sums with the same code again; int32 sums
// wrap alike in any order, so this is the GPU's result bit for bit, and it
// tests everything but the mapping onto threads and the instruction.
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/mma/MmaMatmul.h"
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
constexpr int64_t kTileM = 16, kTileN = 8, kStepK = 32; // one MMA
constexpr int64_t kAWords = 4, kBWords = 2, kCSums = 4; // per thread and MMA

class MmaEmitter : MatmulEmitter {
public:
  MmaEmitter(MatmulOp op, const MatmulOperands &operands, const TargetDesc *target,
             RewriterBase &rewriter)
      : MatmulEmitter(op, operands, target, rewriter),
        mapping(target ? lookupTargetBackend(target->arch)->gpuMapping() : nullptr) {
    KernelAttr kernel = op.getKernel();
    layout.p = weightLayout(kernel, Packing::i2, n, k);
    mTiles = kernel.getTileM();
    nTiles = kernel.getStreams();
    unrollK = kernel.getUnrollK();
    warps = layout.p.tileN / (kTileN * nTiles);
    steps = (k + kStepK - 1) / kStepK;
  }

  void emit() {
    Value rows = memref::DimOp::create(b, loc, a, 0);
    if (mapping) {
      Value thread = mapping->threadIndex(b, loc);
      Warp warp{mapping->blockIndex(b, loc, 0),
                arith::DivUIOp::create(b, loc, thread, index(kWarp)),
                mul(mapping->blockIndex(b, loc, 1), index(kTileM * mTiles)), rows};
      Value lane = arith::RemUIOp::create(b, loc, thread, index(kWarp));
      SmallVector<Value> zero(mTiles * nTiles * kCSums, i32(0));
      SmallVector<Value> sums = overSteps(zero, [&](Value step, ArrayRef<Value> acc) {
        SmallVector<Value> next;
        SmallVector<SmallVector<Value>> aWords, bWords;
        for (int64_t mt = 0; mt < mTiles; ++mt)
          aWords.push_back(loadA(warp, lane, mt, step));
        for (int64_t nt = 0; nt < nTiles; ++nt)
          bWords.push_back(loadB(warp, lane, nt, step));
        for (int64_t mt = 0; mt < mTiles; ++mt)
          for (int64_t nt = 0; nt < nTiles; ++nt)
            llvm::append_range(next, mapping->mmaInt8(b, loc, aWords[mt], bWords[nt],
                                                      acc.slice(tile(mt, nt), kCSums)));
        return next;
      });
      store(warp, lane, sums);
      return;
    }
    emitParallel(index(layout.blocks()), [&](Value block) {
      int64_t tiles = mTiles * nTiles;
      auto i32Array = [&](int64_t columns) {
        return memref::AllocaOp::create(b, loc, MemRefType::get({kWarp, columns}, b.getI32Type()));
      };
      Value sums = i32Array(tiles * kCSums), aFragments = i32Array(mTiles * kAWords),
            bFragments = i32Array(nTiles * kBWords);
      forLoop(index(0), rows, kTileM * mTiles, [&](Value m0) {
        forLoop(index(0), index(warps), 1, [&](Value w) {
          Warp warp{block, w, m0, rows};
          forLoop(index(0), index(kWarp), 1, [&](Value lane) {
            for (int64_t i = 0; i < tiles * kCSums; ++i)
              memref::StoreOp::create(b, loc, i32(0), sums, ValueRange{lane, index(i)});
          });
          overSteps({}, [&](Value step, ArrayRef<Value>) {
            forLoop(index(0), index(kWarp), 1, [&](Value lane) {
              for (int64_t mt = 0; mt < mTiles; ++mt)
                storeRow(aFragments, lane, mt * kAWords, loadA(warp, lane, mt, step));
              for (int64_t nt = 0; nt < nTiles; ++nt)
                storeRow(bFragments, lane, nt * kBWords, loadB(warp, lane, nt, step));
            });
            for (int64_t mt = 0; mt < mTiles; ++mt)
              for (int64_t nt = 0; nt < nTiles; ++nt)
                emulateMma(aFragments, mt, bFragments, nt, sums, tile(mt, nt));
            return SmallVector<Value>();
          });
          forLoop(index(0), index(kWarp), 1, [&](Value lane) {
            SmallVector<Value> laneSums;
            for (int64_t i = 0; i < tiles * kCSums; ++i)
              laneSums.push_back(memref::LoadOp::create(b, loc, sums, ValueRange{lane, index(i)}));
            store(warp, lane, laneSums);
          });
        });
      });
    });
  }

private:
  /// Where a warp works: its block of output rows, its index in the block,
  /// the first activation row of its block along y, and M.
  struct Warp {
    Value block, warp, m0, rows;
  };

  Value i32(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32); }
  Value divui(Value x, int64_t d) { return arith::DivUIOp::create(b, loc, x, index(d)); }
  Value remui(Value x, int64_t d) { return arith::RemUIOp::create(b, loc, x, index(d)); }
  Value toI32(Value v) { return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), v); }
  Value less(Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }

  /// The first of accumulator tile (mt, nt)'s sums in a thread's list.
  int64_t tile(int64_t mt, int64_t nt) const { return (mt * nTiles + nt) * kCSums; }

  void forLoop(Value from, Value to, int64_t step, llvm::function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, from, to, index(step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar());
  }

  /// state = body(step, state) over the K steps: a loop unrolled by
  /// unroll_k, then the remaining steps one at a time.
  SmallVector<Value> overSteps(SmallVector<Value> state,
                               llvm::function_ref<SmallVector<Value>(Value, ArrayRef<Value>)> body) {
    int64_t unrolled = steps / unrollK * unrollK;
    auto loopOver = [&](int64_t from, int64_t to, int64_t step) {
      if (from >= to)
        return;
      auto loop = scf::ForOp::create(b, loc, index(from), index(to), index(step), state);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> inner(loop.getRegionIterArgs());
      for (int64_t u = 0; u < step; ++u)
        inner = body(add(loop.getInductionVar(), index(u)), inner);
      // A loop without state came with its terminator.
      if (!inner.empty())
        scf::YieldOp::create(b, loc, inner);
      b.setInsertionPointAfter(loop);
      state.assign(loop.getResults().begin(), loop.getResults().end());
    };
    loopOver(0, unrolled, unrollK);
    loopOver(unrolled, steps, 1);
    return state;
  }

  /// `value` if `condition`, else 0 (an i32); `value` is built in the branch.
  Value wordIf(Value condition, llvm::function_ref<Value()> value) {
    auto branch = scf::IfOp::create(b, loc, TypeRange{b.getI32Type()}, condition, true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    scf::YieldOp::create(b, loc, value());
    b.setInsertionPointToStart(branch.elseBlock());
    scf::YieldOp::create(b, loc, i32(0));
    return branch.getResult(0);
  }

  /// This thread's A words of activation tile mt at K step `step`.
  SmallVector<Value> loadA(const Warp &warp, Value lane, int64_t mt, Value step) {
    Value g = divui(lane, 4), t = remui(lane, 4);
    Value last = arith::SubIOp::create(b, loc, warp.rows, index(1));
    auto quad = VectorType::get({4}, b.getI8Type());
    auto word = VectorType::get({1}, b.getI32Type());
    SmallVector<Value> words;
    for (int64_t r = 0; r < kAWords; ++r) {
      // Rows past M read the last row (not stored); K is a multiple of 4,
      // so a word is all in K or all past it.
      Value row = arith::MinUIOp::create(
          b, loc, add(warp.m0, add(g, index(mt * kTileM + 8 * (r % 2)))), last);
      Value col = add(mul(step, index(kStepK)), add(mul(t, index(4)), index(16 * (r / 2))));
      auto load = [&]() -> Value {
        Value bytes = vector::LoadOp::create(b, loc, quad, a, ValueRange{row, col},
                                             /*nontemporal=*/false, b.getI64IntegerAttr(4));
        return vector::ExtractOp::create(b, loc, vector::BitCastOp::create(b, loc, word, bytes),
                                         ArrayRef<int64_t>{0});
      };
      words.push_back(k % kStepK == 0 ? load() : wordIf(less(col, index(k)), load));
    }
    return words;
  }

  /// This thread's B words of weight tile nt at K step `step`: plane t of
  /// row g's words of chunks 2 step and 2 step + 1, as {-1, 0, 1} bytes.
  SmallVector<Value> loadB(const Warp &warp, Value lane, int64_t nt, Value step) {
    Value g = divui(lane, 4), t = remui(lane, 4);
    Value vector = add(mul(warp.warp, index(nTiles)), index(nt));
    Value shift = toI32(mul(t, index(2)));
    SmallVector<Value> words;
    for (int64_t r = 0; r < kBWords; ++r) {
      Value chunk = add(mul(step, index(2)), index(r));
      auto load = [&]() -> Value {
        Value offset = add(add(mul(toI64(warp.block), i64(layout.blockBytes())),
                               mul(toI64(chunk), i64(layout.chunkBytes()))),
                           add(mul(toI64(vector), i64(layout.vectorBytes())),
                               mul(toI64(g), i64(MfreeLayout::kBytesPerLane))));
        auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
        Value address =
            LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), weights, ValueRange{offset});
        return LLVM::LoadOp::create(b, loc, b.getI32Type(), address, /*alignment=*/4);
      };
      // An odd number of chunks leaves the last step without a second one
      // (its activations are zero there).
      Value packed = 2 * steps > layout.chunks()
                         ? wordIf(less(chunk, index(layout.chunks())), load)
                         : load();
      Value plane = arith::AndIOp::create(b, loc, arith::ShRUIOp::create(b, loc, packed, shift),
                                          i32(0x03030303));
      Value biased = arith::SubIOp::create(
          b, loc, arith::OrIOp::create(b, loc, plane, i32(0x80808080)), i32(0x01010101));
      words.push_back(arith::XOrIOp::create(b, loc, biased, i32(0x80808080)));
    }
    return words;
  }

  /// y = sum / (a_scale * w_scale) for this thread's sums that exist.
  void store(const Warp &warp, Value lane, ArrayRef<Value> sums) {
    Value g = divui(lane, 4), t = remui(lane, 4);
    for (int64_t mt = 0; mt < mTiles; ++mt)
      for (int64_t nt = 0; nt < nTiles; ++nt)
        for (int64_t r = 0; r < kCSums; ++r) {
          Value m = add(warp.m0, add(g, index(mt * kTileM + 8 * (r / 2))));
          Value nRow = add(add(mul(warp.block, index(layout.p.tileN)),
                               mul(add(mul(warp.warp, index(nTiles)), index(nt)), index(kTileN))),
                           add(mul(t, index(2)), index(r % 2)));
          storeOneIfInside(m, nRow, warp.rows, sums[tile(mt, nt) + r]);
        }
  }

  void storeRow(Value array, Value lane, int64_t first, ArrayRef<Value> words) {
    for (auto [i, word] : llvm::enumerate(words))
      memref::StoreOp::create(b, loc, word, array, ValueRange{lane, index(first + i)});
  }

  /// Byte `byte` (a dynamic index < 4) of word `column` of thread `lane`'s
  /// fragments, sign-extended to i32.
  Value fragmentByte(Value fragments, Value lane, Value column, Value byte) {
    Value word = memref::LoadOp::create(b, loc, fragments, ValueRange{lane, column});
    // Byte j moved to the top, then shifted back down with its sign.
    Value up = toI32(mul(arith::SubIOp::create(b, loc, index(3), remui(byte, 4)), index(8)));
    return arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, word, up), i32(24));
  }

  /// The warp's MMA of activation tile mt and weight tile nt, element by
  /// element from the fragments through PTX's layout, added to `sums`.
  void emulateMma(Value aFragments, int64_t mt, Value bFragments, int64_t nt, Value sums,
                  int64_t first) {
    forLoop(index(0), index(kWarp), 1, [&](Value lane) {
      Value g = divui(lane, 4), t = remui(lane, 4);
      for (int64_t r = 0; r < kCSums; ++r) {
        // C[row][col] with row = g + 8 (r / 2), col = 2t + r % 2.
        Value col = add(mul(t, index(2)), index(r % 2));
        auto dot = scf::ForOp::create(b, loc, index(0), index(kStepK), index(1),
                                      ValueRange{i32(0)});
        {
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(dot.getBody());
          Value kk = dot.getInductionVar();
          Value half = divui(kk, 16), quad = divui(remui(kk, 16), 4);
          // A[row][kk] is byte kk % 4 of word (row / 8) + 2 (kk / 16) of
          // lane 4 (row % 8) + (kk % 16) / 4; here row % 8 = g.
          Value aLane = add(mul(g, index(4)), quad);
          Value aWord = add(index(mt * kAWords + r / 2), mul(half, index(2)));
          // B[kk][col] is byte kk % 4 of word kk / 16 of lane 4 col + (kk % 16) / 4.
          Value bLane = add(mul(col, index(4)), quad);
          Value bWord = add(index(nt * kBWords), half);
          Value product = arith::MulIOp::create(b, loc, fragmentByte(aFragments, aLane, aWord, kk),
                                                fragmentByte(bFragments, bLane, bWord, kk));
          scf::YieldOp::create(b, loc, ValueRange{add(dot.getRegionIterArgs()[0], product)});
        }
        Value at = index(first + r);
        Value sum = memref::LoadOp::create(b, loc, sums, ValueRange{lane, at});
        memref::StoreOp::create(b, loc, add(sum, dot.getResult(0)), sums, ValueRange{lane, at});
      }
    });
  }

  const GpuMapping *mapping;
  MfreeLayout layout;
  int64_t mTiles, nTiles, unrollK, warps, steps;
};

} // namespace

LogicalResult lowerMmaMatmul(MatmulOp op, const MatmulOperands &operands,
                             const TargetDesc *target, RewriterBase &rewriter) {
  if (op.getWeight().getType().getPacking().getValue() != Packing::i2)
    return op.emitOpError("the mma lowering reads the i2 packing");
  MmaEmitter(op, operands, target, rewriter).emit();
  rewriter.eraseOp(op);
  return success();
}

KernelAttr defaultMmaKernel(MLIRContext *ctx) {
  return KernelAttr::get(ctx, Strategy::mma, /*lanes=*/8, /*tile_n=*/64, /*tile_m=*/2,
                         /*unroll_k=*/2, /*prefetch=*/0, /*streams=*/2);
}

SearchSpace mmaSearchSpace() {
  // The verifier keeps the tile_n that hold whole warps of `streams` tiles.
  std::vector<ParameterRange> params = {{"lanes", {8}},
                                        {"tile_n", {16, 32, 64, 128}},
                                        {"tile_m", {1, 2}},
                                        {"unroll_k", {1, 2, 4}},
                                        {"streams", {1, 2, 4}}};
  auto work = [](const Candidate &c, int64_t m) -> int64_t {
    int64_t rows = std::min(kTileM * c.kernel.getTileM(), std::max<int64_t>(m, 1));
    return c.kernel.getUnrollK() * kStepK * rows * kTileN * c.kernel.getStreams();
  };
  return SearchSpace(Strategy::mma, {Packing::i2}, /*lanes=*/8, std::move(params), work);
}

int64_t mmaThreadsPerBlock(KernelAttr kernel) {
  return kWarp * (kernel.getTileN() / (kTileN * kernel.getStreams()));
}

int64_t mmaRowsPerBlock(KernelAttr kernel) { return kTileM * kernel.getTileM(); }

} // namespace tern
