//===- MfreeMatmul.cpp - ternary matmul without multiplications by weights ===//
//
// y[m][n] = (sum_k a[m][k] w[n][k]) / (a_scale[m] w_scale), computed as
//   sum_k a[m][k] (w[n][k] + 1)  -  sum_k a[m][k]
// so that the stored weights w + 1 in {0, 1, 2} are unsigned bytes for an
// unsigned x signed int8 dot-product step (tern.vdot). Each step takes four
// activation bytes broadcast to every 32-bit lane and four weight bytes per
// lane, one output row per lane (packing::MfreeLayout).
//
// Decoding. i2: plane s is (p >> 2s) & 3. base3: with x_0 the packed byte and
// x_{s+1} = 3 x_s mod 256, digit d_s = (x_s > 85) + (x_s > 170); and since
// 3 x_s = x_{s+1} + 256 d_s, on targets whose dot product takes full unsigned
// bytes (vpdpbusd) the digits never need to be formed:
//   sum_s a_s d_s = (3 sum_s a_s x_s - sum_s a_s x_{s+1}) / 256,
// two dot-product steps per plane on the raw bytes instead of two compares,
// a select and an add. The division is exact; the sums wrap harmlessly in
// int32 while |sum_s a_s d_s| < 2^23 (K < 32768). Targets described with a
// ternary dot product take the packed bytes as they are (tern.tdot): no
// decoding, no row sums.
//
// Loop nest, per block of tile_n output rows (the parallel dimension):
//   with tile_m > 1 (prefill): decode the block's weights once into a stack
//   panel of {0,1,2} bytes (K x tile_n, at most kMaxPanelBytes)
//   for each tile of tile_m activation rows:
//     tile_m x (tile_n / lanes) int32 accumulators (two sets for linear base3)
//     for each chunk of 16 (i2) or 20 (base3) K values, unrolled by unroll_k
//     (on targets whose int32 step takes two multiplies, in runs of int16
//     accumulation, each widened into the int32 sums after at most 64 steps):
//       load tile_n / lanes weight vectors (and prefetch `prefetch` chunks
//       ahead); for each of their 4 or 5 planes, decode (or load from the
//       panel) and accumulate into every row
//     subtract the row sums, convert, divide by the scales, store
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/mfree/MfreeMatmul.h"
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

/// K above which linear base3 decoding could overflow its int32 sums.
constexpr int64_t kLinearBase3MaxK = 32767;

/// int16 vdot steps that cannot overflow: each adds to a pair sum a value in
/// [2 * 2 * -128, 2 * 2 * 127] = [-512, 508] (weights + 1 <= 2, a in int8),
/// so 64 steps stay within [-32768, 32512].
constexpr int64_t kMaxInt16Steps = 32768 / 512;

/// Prefill reads the decoded panel once per tile of rows. A panel larger
/// than kMaxWholePanelBytes is used a slice of kPanelSliceBytes at a time,
/// which stays in L1 with the tiles' activations. Measured on an Intel Xeon
/// (48 KiB L1), AVX2, m = 128: 2560x6912 (110 KiB panel) 254 -> 271 GOP/s;
/// slicing the 40 KiB panels of K = 2560 gained nothing (272 either way).
constexpr int64_t kMaxWholePanelBytes = 64 * 1024;
constexpr int64_t kPanelSliceBytes = 24 * 1024;
/// Tiles of rows that use a panel slice before the next slice; their int32
/// sums wait on the stack in between.
constexpr int64_t kGroupTiles = 16;

/// How the tile loop gets each plane's weights: unpacked from i2, base-3
/// digits, raw base-3 bytes (linear), packed bytes for tern.tdot, or loaded
/// from the block's panel of decoded planes.
enum class Decode { I2, Base3Digits, Base3Linear, Ternary, Panel };

class MfreeEmitter : MatmulEmitter {
public:
  MfreeEmitter(MatmulOp op, const MatmulOperands &operands, const TargetDesc *target,
               RewriterBase &rewriter)
      : MatmulEmitter(op, operands, target, rewriter) {
    KernelAttr kernel = op.getKernel();
    packing = op.getWeight().getType().getPacking().getValue();
    layout.p = weightLayout(kernel, packing, n, k);
    tileM = kernel.getTileM();
    unrollK = kernel.getUnrollK();
    prefetch = kernel.getPrefetch();
    streams = kernel.getStreams();
    int64_t lanes = layout.p.lanes;
    accType = VectorType::get({lanes}, b.getI32Type());
    byteType = VectorType::get({lanes * 4}, b.getI8Type());
    pairType = VectorType::get({lanes * 2}, b.getI16Type());
    decode = Decode::I2;
    if (packing == Packing::base3) {
      bool fullBytes = target && k <= kLinearBase3MaxK &&
                       lookupTargetBackend(target->arch)->nativeVdotLhsMax(*target, lanes) >= 255;
      decode = fullBytes ? Decode::Base3Linear : Decode::Base3Digits;
    }
    if (target && target->ternaryDot)
      decode = Decode::Ternary;
    // Prefill tiles read every weight once per tile of rows: decoding a
    // block's weights once into a stack panel takes the decoding out of the
    // inner loop, which is then loads and dot products only.
    if (decode != Decode::Ternary && tileM > 1 && k * layout.p.tileN <= kMaxPanelBytes)
      decode = Decode::Panel;
    // Reading the weights directly, stream s is K slab s (one, where K is
    // too short for more). The panel is in L1 or L2: one stream, and the
    // slabs only matter to its decoding (which keeps int16 runs for prefill
    // on weights a decode kernel stored in slabs).
    streams = decode == Decode::Panel ? 1 : layout.slabs();
    if (target && decode != Decode::Base3Linear && decode != Decode::Ternary && streams == 1 &&
        lookupTargetBackend(target->arch)->prefersInt16Vdot(*target, lanes))
      int16Run = kMaxInt16Steps / layout.planes();
    if (decode == Decode::Panel) {
      int64_t granule = std::max<int64_t>(int16Run, 1);
      int64_t sliceChunks =
          kPanelSliceBytes / (layout.chunk() * layout.p.tileN) / granule * granule;
      if (sliceChunks > 0 && k * layout.p.tileN > kMaxWholePanelBytes)
        kBlockChunks = sliceChunks;
    }
  }

  void emit() {
    Value rows = memref::DimOp::create(b, loc, a, 0);
    Value rowSums = decode == Decode::Ternary ? Value() : emitRowSums(rows);
    emitParallel(index(layout.blocks()), [&](Value block) {
      SmallVector<Value> starts = slabStarts(layout, block);
      Value firstRow = mul(block, index(layout.p.tileN));
      if (prefetch > 0)
        for (int64_t s = 0; s < streams; ++s) {
          int64_t first = s * (k / layout.chunk() / streams);
          prefetchRange(chunkOffset(layout, starts, index(first), layout.slabOf(first)),
                        std::min(prefetch, layout.chunks()) * layout.chunkBytes());
        }
      if (decode == Decode::Panel)
        panel = emitPanel(starts);
      if (kBlockChunks > 0)
        emitKBlocked(block, starts, firstRow, rows, rowSums);
      else
        emitRowTiles(index(0), rows, tileM, [&](Value m0, int64_t tileRows) {
          emitTile(block, starts, firstRow, m0, tileRows, rowSums);
        });
    });
  }

private:
  /// The block's weights as {0,1,2} bytes, one vector per (chunk, plane,
  /// vector): i2 planes unpacked, base-3 digits.
  Value emitPanel(ArrayRef<Value> starts) {
    int64_t vectors = layout.vectorsPerChunk(), chunks = layout.chunks();
    auto panelType = MemRefType::get({chunks * layout.planes() * vectors, layout.vectorBytes()},
                                     b.getI8Type());
    auto decoded = memref::AllocaOp::create(b, loc, panelType, ValueRange{}, b.getI64IntegerAttr(64));
    for (int64_t slab = 0; slab < layout.slabs(); ++slab) {
      int64_t first = slab * layout.slabChunks();
      auto loop = scf::ForOp::create(b, loc, index(first),
                                     index(first + layout.chunksInSlab(slab)), index(1));
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value chunk = loop.getInductionVar();
      Value chunkBytes = chunkOffset(layout, starts, chunk, slab);
      for (int64_t v = 0; v < vectors; ++v) {
        Value x = loadWeights(byteType, add(chunkBytes, i64(v * layout.vectorBytes())), 0);
        for (int64_t plane = 0; plane < layout.planes(); ++plane) {
          Value weights = packing == Packing::i2 ? unpackI2(x, plane) : base3Digit(x);
          vector::StoreOp::create(b, loc, weights, decoded,
                                  ValueRange{panelRow(chunk, plane, v), index(0)});
          if (packing == Packing::base3)
            x = times3(x);
        }
      }
    }
    return decoded;
  }

  Value panelRow(Value chunk, int64_t plane, int64_t v) {
    int64_t vectors = layout.vectorsPerChunk();
    return add(mul(chunk, index(layout.planes() * vectors)), index(plane * vectors + v));
  }

  /// Accumulator sets per (row, vector): linear base3 keeps sum a_s x_s and
  /// sum a_s x_{s+1} apart.
  int64_t sets() const { return decode == Decode::Base3Linear ? 2 : 1; }

  /// rowSums[m] = sum_k a[m][k], with the same vdot step (all-ones weights).
  Value emitRowSums(Value rows) {
    auto sums = memref::AllocaOp::create(b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI32Type()),
                                         ValueRange{rows});
    int64_t vecBytes = 4 * layout.p.lanes;
    int64_t wide = k / vecBytes * vecBytes;
    Value ones = splat(byteType, 1);
    auto loop = scf::ForOp::create(b, loc, index(0), rows, index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value m = loop.getInductionVar();
    auto inner = scf::ForOp::create(b, loc, index(0), index(wide), index(vecBytes), ValueRange{zeros(accType)});
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(inner.getBody());
      Value x = vector::LoadOp::create(b, loc, byteType, a, ValueRange{m, inner.getInductionVar()});
      scf::YieldOp::create(b, loc, vdot(inner.getRegionIterArgs()[0], ones, x, 1));
    }
    Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, inner.getResult(0));
    auto quadType = VectorType::get({4}, b.getI8Type());
    auto oneLane = VectorType::get({1}, b.getI32Type());
    for (int64_t col = wide; col < k; col += 4) {
      Value x = vector::LoadOp::create(b, loc, quadType, a, ValueRange{m, index(col)});
      Value dot = vdot(zeros(oneLane), splat(quadType, 1), x, 1);
      sum = add(sum, vector::ExtractOp::create(b, loc, dot, ArrayRef<int64_t>{0}));
    }
    memref::StoreOp::create(b, loc, sum, sums, ValueRange{m});
    return sums;
  }

  Value vdot(Value acc, Value lhs, Value rhs, int64_t lhsMax) {
    return VdotOp::create(b, loc, acc.getType(), acc, lhs, rhs, b.getI64IntegerAttr(lhsMax));
  }

  using Accumulators = SmallVector<Value>; // [(row * vectors + vector) * sets + set]

  /// Where a tile's chunks come from: its block's weights (slabStarts) and
  /// its rows.
  struct Chunks {
    ArrayRef<Value> starts;
    Value m0;
    int64_t tileRows;
  };

  void emitTile(Value block, ArrayRef<Value> starts, Value firstRow, Value m0, int64_t tileRows,
                Value rowSums) {
    Accumulators accs(tileRows * layout.vectorsPerChunk() * sets(), zeros(accType));
    accumulateK({starts, m0, tileRows}, index(0), k / layout.chunk(),
                (k % layout.chunk()) / MfreeLayout::kBytesPerLane, accs);
    emitForValidRows(block, layout.blocks(), layout.p.tileN, [&](int64_t validRows) {
      emitEpilogue(firstRow, m0, tileRows, accs, rowSums, validRows);
    });
  }

  /// Prefill over a panel larger than L1: K in slices of kBlockChunks
  /// chunks, each slice of the panel used by every tile of a group of rows
  /// before the next, the tiles' int32 sums kept in a stack buffer between
  /// slices.
  void emitKBlocked(Value block, ArrayRef<Value> starts, Value firstRow, Value rows, Value rowSums) {
    int64_t vectors = layout.vectorsPerChunk(), groupRows = kGroupTiles * tileM;
    auto sumsType = MemRefType::get({groupRows * vectors, layout.p.lanes}, b.getI32Type());
    Value sums = memref::AllocaOp::create(b, loc, sumsType, ValueRange{}, b.getI64IntegerAttr(64));
    auto groups = scf::ForOp::create(b, loc, index(0), rows, index(groupRows));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(groups.getBody());
    Value g0 = groups.getInductionVar();
    Value gEnd = arith::MinUIOp::create(b, loc, add(g0, index(groupRows)), rows);
    auto sumRow = [&](Value m0, int64_t r, int64_t v) {
      return add(mul(add(arith::SubIOp::create(b, loc, m0, g0), index(r)), index(vectors)),
                 index(v));
    };
    auto loadSums = [&](Value m0, int64_t tileRows) {
      Accumulators accs;
      for (int64_t r = 0; r < tileRows; ++r)
        for (int64_t v = 0; v < vectors; ++v)
          accs.push_back(vector::LoadOp::create(b, loc, accType, sums,
                                                ValueRange{sumRow(m0, r, v), index(0)}));
      return accs;
    };
    auto slice = [&](Value firstChunk, int64_t count, int64_t tailPlanes) {
      emitRowTiles(g0, gEnd, tileM, [&](Value m0, int64_t tileRows) {
        Accumulators accs = loadSums(m0, tileRows);
        accumulateK({starts, m0, tileRows}, firstChunk, count, tailPlanes, accs);
        for (int64_t r = 0; r < tileRows; ++r)
          for (int64_t v = 0; v < vectors; ++v)
            vector::StoreOp::create(b, loc, accs[r * vectors + v], sums,
                                    ValueRange{sumRow(m0, r, v), index(0)});
      });
    };
    {
      auto zero = scf::ForOp::create(b, loc, index(0), index(groupRows * vectors), index(1));
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(zero.getBody());
      vector::StoreOp::create(b, loc, zeros(accType), sums,
                              ValueRange{zero.getInductionVar(), index(0)});
    }
    int64_t fullChunks = k / layout.chunk(), slices = fullChunks / kBlockChunks;
    int64_t rest = fullChunks - slices * kBlockChunks;
    int64_t tailPlanes = (k % layout.chunk()) / MfreeLayout::kBytesPerLane;
    {
      auto loop = scf::ForOp::create(b, loc, index(0), index(slices), index(1));
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(loop.getBody());
      slice(mul(loop.getInductionVar(), index(kBlockChunks)), kBlockChunks, 0);
    }
    if (rest > 0 || tailPlanes > 0)
      slice(index(slices * kBlockChunks), rest, tailPlanes);
    emitRowTiles(g0, gEnd, tileM, [&](Value m0, int64_t tileRows) {
      Accumulators accs = loadSums(m0, tileRows);
      emitForValidRows(block, layout.blocks(), layout.p.tileN, [&](int64_t validRows) {
        emitEpilogue(firstRow, m0, tileRows, accs, rowSums, validRows);
      });
    });
  }

  /// accs += chunks [first, first + count), then `tailPlanes` planes of the
  /// chunk after them: in int32, or in runs of int16Run chunks in int16, each
  /// widened into the int32 sums.
  void accumulateK(const Chunks &chunks, Value first, int64_t count, int64_t tailPlanes,
                   Accumulators &accs) {
    if (int16Run == 0) {
      accumulateChunks(chunks, first, count, streams, accs);
      if (tailPlanes > 0)
        emitChunk(chunks, add(first, index(count)), tailPlanes, accs, layout.slabs() - 1);
      return;
    }
    auto runInInt16 = [&](Value runFirst, int64_t runCount, int64_t planesAfter,
                          Accumulators &sums) {
      Accumulators pairs(sums.size(), zeros(pairType));
      accumulateChunks(chunks, runFirst, runCount, 1, pairs);
      if (planesAfter > 0)
        emitChunk(chunks, add(runFirst, index(runCount)), planesAfter, pairs, 0);
      for (size_t i = 0; i < sums.size(); ++i)
        sums[i] = AddPairsOp::create(b, loc, accType, sums[i], pairs[i]);
    };
    int64_t runs = count / int16Run;
    auto loop = scf::ForOp::create(b, loc, index(0), index(runs), index(1), accs);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Accumulators sums(loop.getRegionIterArgs().begin(), loop.getRegionIterArgs().end());
      runInInt16(add(first, mul(loop.getInductionVar(), index(int16Run))), int16Run, 0, sums);
      scf::YieldOp::create(b, loc, sums);
    }
    accs.assign(loop.getResults().begin(), loop.getResults().end());
    if (runs * int16Run < count || tailPlanes > 0)
      runInInt16(add(first, index(runs * int16Run)), count - runs * int16Run, tailPlanes, accs);
  }

  /// Chunks [first, first + count) into accs: `streams` contiguous ranges
  /// read side by side, in a loop unrolled by unroll_k, then the leftovers.
  /// Weights read directly come from slab s for range s where K is slabbed
  /// (int16 runs read one stream of one slab).
  void accumulateChunks(const Chunks &chunks, Value first, int64_t count, int64_t streams,
                        Accumulators &accs) {
    int64_t perStream = count / streams;
    int64_t iterations = perStream / unrollK;
    if (iterations > 0) {
      auto loop = scf::ForOp::create(b, loc, index(0), index(iterations), index(1), accs);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Accumulators inner(loop.getRegionIterArgs().begin(), loop.getRegionIterArgs().end());
      Value step = add(first, mul(loop.getInductionVar(), index(unrollK)));
      for (int64_t u = 0; u < unrollK; ++u)
        for (int64_t s = 0; s < streams; ++s)
          emitChunk(chunks, add(step, index(s * perStream + u)), layout.planes(), inner,
                    slabOfStream(s));
      scf::YieldOp::create(b, loc, inner);
      b.setInsertionPointAfter(loop);
      accs.assign(loop.getResults().begin(), loop.getResults().end());
    }
    for (int64_t s = 0; s < streams; ++s)
      for (int64_t c = s * perStream + iterations * unrollK; c < (s + 1) * perStream; ++c)
        emitChunk(chunks, add(first, index(c)), layout.planes(), accs, slabOfStream(s));
    for (int64_t c = streams * perStream; c < count; ++c)
      emitChunk(chunks, add(first, index(c)), layout.planes(), accs, layout.slabs() - 1);
  }

  int64_t slabOfStream(int64_t s) const { return layout.slabs() > 1 ? s : 0; }

  /// Four activation bytes a[m][k..k+3] in every 32-bit lane.
  Value broadcastQuad(Value m, Value col) {
    auto quadType = VectorType::get({4}, b.getI8Type());
    auto wordType = VectorType::get({1}, b.getI32Type());
    Value quad = vector::LoadOp::create(b, loc, quadType, a, ValueRange{m, col});
    Value word = vector::ExtractOp::create(b, loc, vector::BitCastOp::create(b, loc, wordType, quad),
                                           ArrayRef<int64_t>{0});
    Value lanes = vector::BroadcastOp::create(b, loc, accType, word);
    return vector::BitCastOp::create(b, loc, byteType, lanes);
  }

  /// Chunk `chunk` (or its first `planes` planes) into accs; its weights,
  /// unless they come from the panel, lie in K slab `slab`.
  void emitChunk(const Chunks &chunks, Value chunk, int64_t planes, Accumulators &accs,
                 int64_t slab) {
    int64_t vectors = layout.vectorsPerChunk(), tileRows = chunks.tileRows;
    Value m0 = chunks.m0;
    SmallVector<Value> packed;
    if (decode != Decode::Panel) {
      Value chunkBytes = chunkOffset(layout, chunks.starts, chunk, slab);
      for (int64_t v = 0; v < vectors; ++v)
        packed.push_back(loadWeights(byteType, add(chunkBytes, i64(v * layout.vectorBytes())),
                                     prefetch * layout.chunkBytes()));
    }
    SmallVector<Value> x = packed; // base3: x_s of every vector
    Value kBase = mul(chunk, index(layout.chunk()));
    if (decode == Decode::Ternary) {
      auto xType = VectorType::get({planes * MfreeLayout::kBytesPerLane}, b.getI8Type());
      for (int64_t r = 0; r < tileRows; ++r) {
        Value x = vector::LoadOp::create(b, loc, xType, a, ValueRange{add(m0, index(r)), kBase});
        for (int64_t v = 0; v < vectors; ++v) {
          Value &acc = accs[(r * vectors + v) * sets()];
          acc = TdotOp::create(b, loc, accType, acc, packed[v], x,
                               PackingAttr::get(b.getContext(), packing));
        }
      }
      return;
    }
    for (int64_t plane = 0; plane < planes; ++plane) {
      Value col = add(kBase, index(plane * MfreeLayout::kBytesPerLane));
      SmallVector<Value> activations;
      for (int64_t r = 0; r < tileRows; ++r)
        activations.push_back(broadcastQuad(add(m0, index(r)), col));
      for (int64_t v = 0; v < vectors; ++v) {
        auto accumulate = [&](int64_t set, Value lhs, int64_t lhsMax) {
          for (int64_t r = 0; r < tileRows; ++r) {
            Value &acc = accs[(r * vectors + v) * sets() + set];
            acc = vdot(acc, lhs, activations[r], lhsMax);
          }
        };
        switch (decode) {
        case Decode::I2:
          accumulate(0, unpackI2(packed[v], plane), 2);
          break;
        case Decode::Panel:
          accumulate(0,
                     vector::LoadOp::create(b, loc, byteType, panel,
                                            ValueRange{panelRow(chunk, plane, v), index(0)}),
                     2);
          break;
        case Decode::Base3Digits:
          accumulate(0, base3Digit(x[v]), 2);
          x[v] = times3(x[v]);
          break;
        case Decode::Base3Linear:
          accumulate(0, x[v], 255);
          x[v] = times3(x[v]);
          accumulate(1, x[v], 255);
          break;
        case Decode::Ternary:
          llvm_unreachable("tern.tdot chunks take every plane in one step");
        }
      }
    }
  }

  void emitEpilogue(Value firstRow, Value m0, int64_t tileRows, const Accumulators &accs,
                    Value rowSums, int64_t validRows) {
    int64_t vectors = layout.vectorsPerChunk(), lanes = layout.p.lanes;
    for (int64_t r = 0; r < tileRows; ++r) {
      Value m = add(m0, index(r));
      Value rowSum;
      if (rowSums)
        rowSum = vector::BroadcastOp::create(b, loc, accType,
                                             memref::LoadOp::create(b, loc, rowSums, ValueRange{m}));
      Value scale = divisor(m, lanes);
      for (int64_t v = 0; v < vectors && v * lanes < validRows; ++v) {
        Value sum = accs[(r * vectors + v) * sets()];
        if (decode == Decode::Base3Linear) {
          Value threeA = mul(sum, splat(accType, 3));
          Value diff = arith::SubIOp::create(b, loc, threeA, accs[(r * vectors + v) * sets() + 1]);
          sum = arith::ShRSIOp::create(b, loc, diff, splat(accType, 8));
        }
        Value exact = rowSum ? arith::SubIOp::create(b, loc, sum, rowSum).getResult() : sum;
        storeScaled(m, add(firstRow, index(v * lanes)), exact, scale, validRows - v * lanes);
      }
    }
  }

  MfreeLayout layout;
  Packing packing;
  int64_t tileM, unrollK, prefetch, streams;
  Decode decode;
  Value panel; // the block's decoded weights, where decode is Panel
  int64_t int16Run = 0; // chunks per int16 run; 0: int32 throughout
  int64_t kBlockChunks = 0; // chunks per panel slice; 0: the whole panel at once
  VectorType accType, byteType, pairType;
};

} // namespace

LogicalResult lowerMfreeMatmul(MatmulOp op, const MatmulOperands &operands,
                               const TargetDesc *target, RewriterBase &rewriter) {
  Packing packing = op.getWeight().getType().getPacking().getValue();
  if (packing != Packing::i2 && packing != Packing::base3)
    return op.emitOpError("the mfree lowering reads i2 and base3 packings");
  MfreeEmitter(op, operands, target, rewriter).emit();
  rewriter.eraseOp(op);
  return success();
}

KernelAttr defaultMfreeKernel(MLIRContext *ctx, int64_t lanes, int64_t registers, int64_t m) {
  // Measured with tern-bench on Zen 5 (README): decoding (m = 1) streams
  // weights, and wide tiles with prefetch keep DRAM busiest; prefill reuses
  // weights across rows, where registers go to the tile: with 32 registers
  // 4 x 4 accumulators and two chunks per step (the fastest i2 kernel of an
  // exhaustive m = 128 search on every 2B4T shape, 13-16% ahead of 2 x 4),
  // with 16 (and the broadcasts, weights and masks) 2 x 3.
  if (m == 1)
    return KernelAttr::get(ctx, Strategy::mfree, lanes, /*tile_n=*/4 * lanes, /*tile_m=*/1,
                           /*unroll_k=*/1, /*prefetch=*/16, /*streams=*/1);
  bool wide = registers >= 32;
  return KernelAttr::get(ctx, Strategy::mfree, lanes, /*tile_n=*/(wide ? 4 : 2) * lanes,
                         /*tile_m=*/wide ? 4 : 3, /*unroll_k=*/wide ? 2 : 1, /*prefetch=*/0,
                         /*streams=*/1);
}

SearchSpace mfreeSearchSpace(int64_t lanes, int64_t m) {
  std::vector<ParameterRange> params = {
      {"tile_n", {lanes, 2 * lanes, 3 * lanes, 4 * lanes, 6 * lanes, 8 * lanes}},
      {"tile_m", m == 1 ? std::vector<int64_t>{1} : std::vector<int64_t>{1, 2, 3, 4, 6, 8}},
      {"unroll_k", {1, 2, 4}}};
  if (m == 1) {
    // On an Intel Xeon VM here (2 threads, i2), 2560x2560 read 87% of the
    // bandwidth with 2 K slabs, 97% with 4 and 99% with 8 (prefetch 4);
    // further prefetches pay where DRAM is far.
    params.push_back({"prefetch", {0, 4, 8, 16, 32, 64}});
    params.push_back({"streams", {1, 2, 4, 8}});
  }
  // The K loop's body: unroll_k chunks of every stream, for the tile.
  auto work = [](const Candidate &c, int64_t m) -> int64_t {
    int64_t chunk = MfreeLayout::kBytesPerLane * (c.packing == Packing::base3 ? 5 : 4);
    return c.kernel.getUnrollK() * c.kernel.getStreams() * chunk * c.kernel.getTileN() *
           std::min(c.kernel.getTileM(), m);
  };
  return SearchSpace(Strategy::mfree, {Packing::i2, Packing::base3}, lanes, std::move(params),
                     work);
}

} // namespace tern
