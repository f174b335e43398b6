//===- RowLutMatmul.cpp - table lookups with activation rows in lanes -----===//
//
// The "four Russians" method for prefill. K is cut into groups of 3. For a
// panel of 32 activation rows and each group, a table holds the 27 sums the
// group's 3 weights can make, each as 32 int16 lanes (one per activation
// row, 64 bytes). An idx3 weight byte is 8 x its code, so it scales by 8 into
// the byte offset of its entry: one scalar load and one vector add (with its
// operand in memory) sum 3 K values of 32 activation rows for one output
// row. x86 AVX2 has no instruction that accumulates int8 products, so its
// mfree kernels need two (vpmaddubsw, vpaddw) per 32 products; here one
// vpaddw does 48.
//
// Exactness. An entry is at most 3 x 128 in magnitude, so int16 sums hold
// 85 groups; they carry over as many whole slabs, then widen into int32.
// Rows of the last panel past m repeat the last row; their sums are never
// stored.
//
// Structure:
//   transposed[panel][K][32 rows] (int16): the activations in panels of 32
//   rows, transposed (16 columns at a time by byte shuffles), in parallel
//   over panels and chunks of columns; then
//   in parallel over `streams` tasks (runs of register tiles of tile_n
//   output rows; more where their sums would pass 768 KiB of stack), each:
//     for each panel:
//       narrow[rows of the task][32] (int16), wide[...][32] (int32) = 0
//       for each K slab (4 x unroll_k groups; the layout stores the slab's
//       weights of all rows as one stream):
//         tables[group of the slab][code][32 rows] (int16), built by the
//         task (a slab's are at most 54 KiB: they stay in its L1, where
//         shared tables would cross between cores)
//         for each register tile of the task (tile_n rows of narrow):
//           for each group of the slab, for each row of the tile:
//             sum += the entry at 8 x the weight byte
//         after the last slab and every 85 / slab groups: wide += narrow
//       out[m][n] = wide[n][m] / (a_scale[m] * w_scale), lanes values of n
//       gathered at a time
//
//===----------------------------------------------------------------------===//
#include "compiler/lowering/rowlut/RowLutMatmul.h"
#include "compiler/lowering/KernelLayouts.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace tern {
namespace {

using packing::Idx3Layout;

/// Activation rows per table entry: one int16 lane each, 64 bytes.
constexpr int64_t kPanelRows = 32;
/// Entries per table: every code of 3 weights.
constexpr int64_t kCodes = 27;
constexpr int64_t kEntryBytes = kPanelRows * 2;
/// Columns per transposing task: enough work to amortize a dispatch.
constexpr int64_t kColumnsPerTask = 192;
/// Columns transposed at once: a 16 x 16 byte matrix per half panel.
constexpr int64_t kTransposeColumns = 16;
/// Groups whose sums int16 holds exactly: 85 x 384 < 2^15.
constexpr int64_t kMaxInt16Groups = 85;
/// A task's int16 and int32 sums live on its stack: at most this much
/// (kMaxPanelBytes in all, with a slab's tables).
constexpr int64_t kMaxTaskSumsBytes = 768 << 10;

class RowLutEmitter : MatmulEmitter {
public:
  RowLutEmitter(MatmulOp op, const MatmulOperands &operands, const TargetDesc *target,
                RewriterBase &rewriter)
      : MatmulEmitter(op, operands, target, rewriter) {
    KernelAttr kernel = op.getKernel();
    layout.p = weightLayout(kernel, Packing::idx3, n, k);
    tileN = kernel.getTileN();
    lanes = kernel.getLanes();
    int64_t sumsBytes = layout.blocks() * tileN * kPanelRows * 6;
    int64_t wanted = std::max(kernel.getStreams(), packing::ceilDiv(sumsBytes, kMaxTaskSumsBytes));
    tilesPerTask = packing::ceilDiv(layout.blocks(), std::min(wanted, layout.blocks()));
    tasks = packing::ceilDiv(layout.blocks(), tilesPerTask);
    entryType = VectorType::get({kPanelRows}, b.getI16Type());
    wideType = VectorType::get({kPanelRows}, b.getI32Type());
    wordLoads = target && lookupTargetBackend(target->arch)->prefersWordLoadsOfBytes(*target);
  }

  void emit() {
    Value rows = memref::DimOp::create(b, loc, a, 0);
    Value panels = arith::DivUIOp::create(b, loc, add(rows, index(kPanelRows - 1)), index(kPanelRows));
    auto transposedType = MemRefType::get({ShapedType::kDynamic, kPanelRows}, b.getI16Type());
    Value transposed = memref::AllocOp::create(b, loc, transposedType,
                                               ValueRange{mul(panels, index(columns()))},
                                               b.getI64IntegerAttr(64));
    emitTranspose(transposed, rows, panels);
    emitParallel(index(tasks), [&](Value task) { emitTask(task, transposed, rows, panels); });
    memref::DeallocOp::create(b, loc, transposed);
  }

private:
  int64_t columns() const { return layout.groups() * Idx3Layout::kGroup; }

  // --- Tables --------------------------------------------------------------

  /// transposed[panel][col][r] = a[32 panel + r][col] as int16, in parallel
  /// over panels and chunks of columns: what every task builds its tables
  /// from. Rows past m are clamped to the last (their sums are never
  /// stored); columns past K (in the last group) too: their weights are 0 in
  /// every code the layout stores, so their activations do not matter.
  void emitTranspose(Value transposed, Value rows, Value panels) {
    int64_t chunks = packing::ceilDiv(columns(), kColumnsPerTask);
    emitParallel(mul(panels, index(chunks)), [&](Value task) {
      Value panel = arith::DivUIOp::create(b, loc, task, index(chunks));
      Value chunk = arith::RemUIOp::create(b, loc, task, index(chunks));
      Value p0 = mul(panel, index(kPanelRows));
      Value panelBase = mul(panel, index(columns()));
      Value first = mul(chunk, index(kColumnsPerTask));
      Value last = arith::MinUIOp::create(b, loc, add(first, index(kColumnsPerTask)), index(columns()));
      Value lastRow = arith::SubIOp::create(b, loc, rows, index(1));
      SmallVector<Value> panelRows;
      for (int64_t r = 0; r < kPanelRows; ++r)
        panelRows.push_back(arith::MinUIOp::create(b, loc, add(p0, index(r)), lastRow));
      // Blocks of 16 columns inside K by byte shuffles, the rest one by one.
      Value inK = arith::MinUIOp::create(b, loc, last, index(k));
      Value blocksEnd = add(first, mul(arith::DivUIOp::create(b, loc, arith::SubIOp::create(b, loc, inK, first),
                                                              index(kTransposeColumns)),
                                       index(kTransposeColumns)));
      auto blocks = scf::ForOp::create(b, loc, first, blocksEnd, index(kTransposeColumns));
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(blocks.getBody());
        emitTransposedBlock(transposed, panelBase, panelRows, blocks.getInductionVar());
      }
      forEach(blocksEnd, last, [&](Value col) {
        Value inside = arith::MinUIOp::create(b, loc, col, index(k - 1));
        SmallVector<Value> column;
        for (Value row : panelRows) {
          Value v = memref::LoadOp::create(b, loc, a, ValueRange{row, inside});
          column.push_back(arith::ExtSIOp::create(b, loc, b.getI16Type(), v));
        }
        Value x = vector::FromElementsOp::create(b, loc, entryType, column);
        vector::StoreOp::create(b, loc, x, transposed, ValueRange{add(panelBase, col), index(0)});
      });
    });
  }

  /// Columns [col0, col0 + 16) of the panel rows, transposed: each half of
  /// 16 rows is a 16 x 16 byte matrix, turned by four rounds of two-vector
  /// shuffles (round t swaps bit t of the row and column indices), then
  /// the halves are joined and widened. About 3x faster than gathering the
  /// bytes one by one.
  void emitTransposedBlock(Value transposed, Value panelBase, ArrayRef<Value> panelRows, Value col0) {
    auto bytesType = VectorType::get({kTransposeColumns}, b.getI8Type());
    SmallVector<Value> halves[2];
    for (int64_t r = 0; r < kPanelRows; ++r)
      halves[r / kTransposeColumns].push_back(
          vector::LoadOp::create(b, loc, bytesType, a, ValueRange{panelRows[r], col0}));
    for (SmallVector<Value> &rows : halves)
      for (int64_t bit = 1; bit < kTransposeColumns; bit *= 2)
        for (int64_t r = 0; r < kTransposeColumns; ++r) {
          if (r & bit)
            continue;
          SmallVector<int64_t> low, high; // the new rows r and r | bit
          for (int64_t c = 0; c < kTransposeColumns; ++c) {
            low.push_back(c & bit ? kTransposeColumns + (c ^ bit) : c);
            high.push_back(c & bit ? kTransposeColumns + c : c | bit);
          }
          Value x = rows[r], y = rows[r | bit];
          rows[r] = vector::ShuffleOp::create(b, loc, x, y, low);
          rows[r | bit] = vector::ShuffleOp::create(b, loc, x, y, high);
        }
    SmallVector<int64_t> join;
    for (int64_t i = 0; i < kPanelRows; ++i)
      join.push_back(i);
    for (int64_t c = 0; c < kTransposeColumns; ++c) {
      Value column = vector::ShuffleOp::create(b, loc, halves[0][c], halves[1][c], join);
      vector::StoreOp::create(b, loc, arith::ExtSIOp::create(b, loc, entryType, column), transposed,
                              ValueRange{add(panelBase, add(col0, index(c))), index(0)});
    }
  }

  /// tables[i][c] = sum_j (d_j - 1) x_j for c = d0 + 3 d1 + 9 d2 and x_j
  /// the panel's column 3 group + j, for `groups` groups from `firstGroup`.
  void emitTables(Value tables, Value transposed, Value panelBase, Value firstGroup, int64_t groups) {
    forEach(index(0), index(groups), [&](Value i) {
      Value column = add(panelBase, mul(add(firstGroup, i), index(Idx3Layout::kGroup)));
      Value x[Idx3Layout::kGroup];
      for (int64_t j = 0; j < Idx3Layout::kGroup; ++j)
        x[j] = vector::LoadOp::create(b, loc, entryType, transposed,
                                      ValueRange{add(column, index(j)), index(0)});
      Value zero = zeros(entryType);
      SmallVector<Value> entries = {arith::SubIOp::create(b, loc, zero, x[0]), zero, x[0]};
      for (int64_t j = 1; j < Idx3Layout::kGroup; ++j) {
        SmallVector<Value> next;
        for (int64_t d = 0; d < 3; ++d)
          for (Value e : entries)
            next.push_back(d == 1   ? e
                           : d == 0 ? arith::SubIOp::create(b, loc, e, x[j]).getResult()
                                    : add(e, x[j]));
        entries = std::move(next);
      }
      Value base = mul(i, index(kCodes * kPanelRows));
      for (int64_t c = 0; c < kCodes; ++c)
        vector::StoreOp::create(b, loc, entries[c], tables, ValueRange{add(base, index(c * kPanelRows))});
    });
  }

  // --- The kernel ----------------------------------------------------------

  void emitTask(Value task, Value transposed, Value rows, Value panels) {
    int64_t taskRows = tilesPerTask * tileN;
    auto buffer = [&](Type element) {
      return memref::AllocaOp::create(b, loc, MemRefType::get({taskRows, kPanelRows}, element),
                                      ValueRange{}, b.getI64IntegerAttr(64));
    };
    Value narrow = buffer(b.getI16Type()), wide = buffer(b.getI32Type());
    // One slab's tables, built by the task itself: in its own L1.
    Value tables = memref::AllocaOp::create(
        b, loc, MemRefType::get({layout.slabGroups() * kCodes * kPanelRows}, b.getI16Type()),
        ValueRange{}, b.getI64IntegerAttr(64));
    Value tableAddress = opaqueAddress(tables);
    Value firstTile = mul(task, index(tilesPerTask));
    Value endTile = arith::MinUIOp::create(b, loc, add(firstTile, index(tilesPerTask)),
                                           index(layout.blocks()));
    Value tiles = arith::SubIOp::create(b, loc, endTile, firstTile);
    Value rowsOfTiles = mul(tiles, index(tileN));
    forEach(index(0), panels, [&](Value panel) {
      Value p0 = mul(panel, index(kPanelRows));
      Value panelRows = arith::MinUIOp::create(b, loc, index(kPanelRows),
                                               arith::SubIOp::create(b, loc, rows, p0));
      emitPanel(transposed, mul(panel, index(columns())), p0, panelRows, tableAddress, tables,
                narrow, wide, firstTile, tiles, rowsOfTiles);
    });
  }

  /// The task's rows for the panel of activation rows [p0, p0 + panelRows).
  void emitPanel(Value transposed, Value panelBase, Value p0, Value panelRows, Value tableAddress,
                 Value tables, Value narrow, Value wide, Value firstTile, Value tiles,
                 Value rowsOfTiles) {
    forEach(index(0), rowsOfTiles, [&](Value row) {
      vector::StoreOp::create(b, loc, zeros(entryType), narrow, ValueRange{row, index(0)});
      vector::StoreOp::create(b, loc, zeros(wideType), wide, ValueRange{row, index(0)});
    });

    // The int16 sums carry over `perWiden` slabs, then widen into int32.
    auto slab = [&](Value s, int64_t groups) {
      emitTables(tables, transposed, panelBase, mul(s, index(layout.slabGroups())), groups);
      emitSlab(s, groups, tableAddress, narrow, firstTile, tiles);
    };
    int64_t fullSlabs = layout.groups() / layout.slabGroups();
    int64_t perWiden = std::min(fullSlabs, kMaxInt16Groups / layout.slabGroups());
    if (perWiden > 0) {
      forEach(index(0), index(fullSlabs / perWiden), [&](Value round) {
        forEach(index(0), index(perWiden), [&](Value s) {
          slab(add(mul(round, index(perWiden)), s), layout.slabGroups());
        });
        widen(narrow, wide, rowsOfTiles);
      });
    }
    if (int64_t first = perWiden > 0 ? fullSlabs / perWiden * perWiden : 0; first < fullSlabs)
      forEach(index(first), index(fullSlabs), [&](Value s) { slab(s, layout.slabGroups()); });
    if (int64_t rest = layout.groups() % layout.slabGroups())
      slab(index(fullSlabs), rest);
    widen(narrow, wide, rowsOfTiles);

    emitResults(wide, firstTile, tiles, p0, panelRows);
  }

  void forEach(Value from, Value to, function_ref<void(Value)> body) {
    auto loop = scf::ForOp::create(b, loc, from, to, index(1));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar());
  }

  /// wide += narrow; narrow = 0, for the task's rows.
  void widen(Value narrow, Value wide, Value rows) {
    forEach(index(0), rows, [&](Value row) {
      SmallVector<Value, 2> at = {row, index(0)}; // (a ValueRange of a braced list would dangle)
      Value sum = vector::LoadOp::create(b, loc, wideType, wide, at);
      Value part = vector::LoadOp::create(b, loc, entryType, narrow, at);
      vector::StoreOp::create(b, loc, add(sum, arith::ExtSIOp::create(b, loc, wideType, part)), wide, at);
      vector::StoreOp::create(b, loc, zeros(entryType), narrow, at);
    });
  }

  /// The address of `buffer` as an !llvm.ptr.
  Value opaqueAddress(Value buffer) {
    Value address = toI64(memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer));
    return opaque(LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()), address));
  }

  /// `pointer`, hidden from LLVM. A lookup should address its entry with two
  /// registers (the group's tables, 8 x byte); LLVM would otherwise rewrite
  /// the group's address as tables + an offset that also counts the loop
  /// (or as stack pointer + offset), three terms, and spend an instruction a
  /// lookup adding two of them.
  Value opaque(Value pointer) { return hidden(pointer, "r"); }

  /// The slab's `groups` groups of every register tile of the task, looked
  /// up in the tables at `tableAddress` and added into the int16 sums
  /// `narrow`.
  void emitSlab(Value slab, int64_t groups, Value tableAddress, Value narrow, Value firstTile, Value tiles) {
    Value slabStart = mul(toI64(slab), i64(layout.slabStart(1)));
    forEach(index(0), tiles, [&](Value t) {
      Value tile = add(firstTile, t);
      Value tileBytes = add(slabStart, mul(toI64(tile), i64(groups * tileN)));
      SmallVector<Value> partial;
      for (int64_t row = 0; row < tileN; ++row)
        partial.push_back(vector::LoadOp::create(b, loc, entryType, narrow,
                                                 ValueRange{add(mul(t, index(tileN)), index(row)), index(0)}));
      // The group's tables travel as a pointer (see opaque()).
      auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
      partial.push_back(tableAddress);
      auto loop = scf::ForOp::create(b, loc, index(0), index(groups), index(1), partial);
      {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(loop.getBody());
        Value g = loop.getInductionVar();
        Value groupBytes = add(tileBytes, mul(toI64(g), i64(tileN)));
        Value table = loop.getRegionIterArgs()[tileN];
        SmallVector<Value> next;
        SmallVector<Value> words = wordLoads ? loadWeightWords(groupBytes, tileN) : SmallVector<Value>();
        for (int64_t row = 0; row < tileN; ++row) {
          Value code = wordLoads ? words[row] : loadWeightByte(add(groupBytes, i64(row)));
          // The byte is 8 c; an entry is 64 bytes, 8 x 8 c.
          Value entry = LLVM::GEPOp::create(
              b, loc, ptrType, b.getI8Type(), table,
              ValueRange{mul(code, i64(kEntryBytes / Idx3Layout::kCodeScale))});
          Value looked = LLVM::LoadOp::create(b, loc, entryType, entry, /*alignment=*/2);
          next.push_back(add(loop.getRegionIterArgs()[row], looked));
        }
        next.push_back(opaque(LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), table,
                                                  ValueRange{i64(kCodes * kEntryBytes)})));
        scf::YieldOp::create(b, loc, next);
      }
      for (int64_t row = 0; row < tileN; ++row)
        vector::StoreOp::create(b, loc, loop.getResult(row), narrow,
                                ValueRange{add(mul(t, index(tileN)), index(row)), index(0)});
    });
  }

  /// The weight byte at `offset`, zero-extended to i64.
  Value loadWeightByte(Value offset) { return loadWeightWord(offset, 1); }

  /// The `bytes` weight bytes at `offset` as one little-endian word,
  /// zero-extended to i64.
  Value loadWeightWord(Value offset, int64_t bytes) {
    auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
    Value address = LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), weights, ValueRange{offset});
    Value word = LLVM::LoadOp::create(b, loc, b.getIntegerType(8 * bytes), address, /*alignment=*/1);
    return bytes == 8 ? word : arith::ExtUIOp::create(b, loc, b.getI64Type(), word).getResult();
  }

  /// The `count` weight bytes from `offset`, each zero-extended to i64, read
  /// as words of 8, 4, 2 and 1 bytes (never past the last) and shifted apart.
  /// The words are hidden from LLVM, which would narrow them back into byte
  /// loads.
  SmallVector<Value> loadWeightWords(Value offset, int64_t count) {
    SmallVector<Value> codes;
    for (int64_t bytes = 8; bytes >= 1; bytes /= 2)
      while (count - static_cast<int64_t>(codes.size()) >= bytes) {
        Value word = loadWeightWord(add(offset, i64(codes.size())), bytes);
        if (bytes == 1) {
          codes.push_back(word);
          continue;
        }
        word = hidden(word, "r");
        for (int64_t j = 0; j < bytes; ++j) {
          Value shifted = j ? arith::ShRUIOp::create(b, loc, word, i64(8 * j)).getResult() : word;
          codes.push_back(arith::AndIOp::create(b, loc, shifted, i64(0xff)));
        }
      }
    return codes;
  }

  /// out[p0 + m][n] for the panel's rows m and the task's rows n < N: a
  /// vector of `lanes` rows n at a time, gathered from the column m of
  /// `wide`, so that the stores are contiguous.
  void emitResults(Value wide, Value firstTile, Value tiles, Value p0, Value panelRows) {
    auto sumsType = VectorType::get({lanes}, b.getI32Type());
    auto maskType = VectorType::get({lanes}, b.getI1Type());
    SmallVector<int64_t> strides;
    for (int64_t i = 0; i < lanes; ++i)
      strides.push_back(i * kPanelRows);
    Value rowOffsets = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(VectorType::get({lanes}, b.getIndexType()), ArrayRef(strides)));
    Value firstRow = mul(firstTile, index(tileN));
    Value taskRows = arith::MinUIOp::create(b, loc, mul(tiles, index(tileN)),
                                            arith::SubIOp::create(b, loc, index(n), firstRow));
    Value fullVectors = arith::DivUIOp::create(b, loc, taskRows, index(lanes));
    Value tailRows = arith::RemUIOp::create(b, loc, taskRows, index(lanes));
    Value all = vector::ConstantMaskOp::create(b, loc, maskType, ArrayRef<int64_t>{lanes});
    Value tailMask = vector::CreateMaskOp::create(b, loc, maskType, ValueRange{tailRows});
    forEach(index(0), panelRows, [&](Value m) {
      Value row = add(p0, m);
      Value divisorOfRow = divisor(row, lanes);
      auto store = [&](Value v, Value mask) {
        Value r0 = mul(v, index(lanes));
        Value sums = vector::GatherOp::create(b, loc, sumsType, wide, ValueRange{r0, m}, rowOffsets,
                                              mask, zeros(sumsType));
        Value y = arith::DivFOp::create(
            b, loc, arith::SIToFPOp::create(b, loc, divisorOfRow.getType(), sums), divisorOfRow);
        vector::MaskedStoreOp::create(b, loc, out, ValueRange{row, add(firstRow, r0)}, mask, y);
      };
      forEach(index(0), fullVectors, [&](Value v) { store(v, all); });
      Value hasTail = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, tailRows, index(0));
      auto tail = scf::IfOp::create(b, loc, hasTail, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(tail.thenBlock());
      store(fullVectors, tailMask);
    });
  }

  Idx3Layout layout;
  int64_t tileN, lanes, tilesPerTask, tasks;
  bool wordLoads = false; // load the weight bytes of a group's rows as words
  VectorType entryType, wideType;
};

} // namespace

LogicalResult lowerRowLutMatmul(MatmulOp op, const MatmulOperands &operands,
                                const TargetDesc *target, RewriterBase &rewriter) {
  if (op.getWeight().getType().getPacking().getValue() != Packing::idx3)
    return op.emitOpError("the rowlut lowering reads the idx3 packing");
  RowLutEmitter(op, operands, target, rewriter).emit();
  rewriter.eraseOp(op);
  return success();
}

KernelAttr defaultRowLutKernel(MLIRContext *ctx, int64_t lanes, int64_t registers) {
  int64_t vectorsPerRow = 16 / lanes; // a 64-byte entry
  int64_t tileN = std::clamp<int64_t>((registers - 4) / vectorsPerRow, 1, 16);
  return KernelAttr::get(ctx, Strategy::rowlut, lanes, tileN, /*tile_m=*/1, /*unroll_k=*/4,
                         /*prefetch=*/0, /*streams=*/2);
}

SearchSpace rowLutSearchSpace(int64_t lanes) {
  std::vector<ParameterRange> params = {{"tile_n", {2, 3, 4, 5, 6, 8, 12, 16}},
                                        {"unroll_k", {2, 3, 4, 6, 8}},
                                        {"streams", {1, 2, 4, 8}}};
  // The slab loop's body: tile_n lookups of 3 K values for 32 activation rows.
  auto work = [](const Candidate &c, int64_t m) -> int64_t {
    return c.kernel.getTileN() * Idx3Layout::kGroup * std::min<int64_t>(kPanelRows, m);
  };
  return SearchSpace(Strategy::rowlut, {Packing::idx3}, lanes, std::move(params), work);
}

} // namespace tern
