//===- MatmulEmitter.cpp --------------------------------------------------===//
#include "compiler/lowering/MatmulEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace tern {

MatmulEmitter::MatmulEmitter(MatmulOp op, const MatmulOperands &operands,
                             const TargetDesc *target, RewriterBase &rewriter)
    : b(rewriter), loc(op.getLoc()), op(op), a(operands.a), aScale(operands.aScale),
      weights(operands.weights), weightScale(operands.weightScale), out(operands.out),
      n(op.getWeight().getType().getRows()), k(op.getWeight().getType().getCols()),
      prefetchLocality(target ? lookupTargetBackend(target->arch)->weightPrefetchLocality(*target)
                              : 0),
      registerConstraint(
          target ? lookupTargetBackend(target->arch)->vectorRegisterConstraint(*target) : "") {}

Value MatmulEmitter::base3Digit(Value x) {
  auto type = cast<VectorType>(x.getType());
  auto above = [&](int64_t threshold) -> Value {
    Value bit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, x, splat(type, threshold));
    return arith::ExtUIOp::create(b, loc, type, bit);
  };
  return add(above(85), above(170));
}

Value MatmulEmitter::times3(Value x) {
  return hidden(add(add(x, x), x), registerConstraint);
}

Value MatmulEmitter::hidden(Value v, StringRef constraint) {
  if (registerConstraint.empty())
    return v;
  std::string constraints = ("=" + constraint + ",0").str();
  return LLVM::InlineAsmOp::create(b, loc, v.getType(), ValueRange{v}, "", constraints,
                                   /*has_side_effects=*/false, /*is_align_stack=*/false,
                                   LLVM::TailCallKind::None, LLVM::AsmDialectAttr(), ArrayAttr())
      .getRes();
}

Value MatmulEmitter::index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
Value MatmulEmitter::i64(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 64); }
Value MatmulEmitter::add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
Value MatmulEmitter::mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
Value MatmulEmitter::toI64(Value v) {
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
}

Value MatmulEmitter::zeros(VectorType type) { return splat(type, 0); }

Value MatmulEmitter::splat(VectorType type, int64_t value) {
  Type element = type.getElementType();
  Attribute scalar = isa<FloatType>(element)
                         ? static_cast<Attribute>(b.getFloatAttr(element, static_cast<double>(value)))
                         : static_cast<Attribute>(b.getIntegerAttr(element, value));
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, scalar));
}

void MatmulEmitter::emitParallel(Value count, function_ref<void(Value)> body) {
  auto parallel = scf::ParallelOp::create(b, loc, ValueRange{index(0)}, ValueRange{count},
                                          ValueRange{index(1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(parallel.getBody());
  body(parallel.getInductionVars()[0]);
}

void MatmulEmitter::emitRowTiles(Value lower, Value upper, int64_t tileM,
                                 function_ref<void(Value, int64_t)> body) {
  auto emitTiles = [&](int64_t tileRows, Value from, Value to) {
    auto loop = scf::ForOp::create(b, loc, from, to, index(tileRows));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar(), tileRows);
  };
  if (tileM == 1) {
    emitTiles(1, lower, upper);
    return;
  }
  Value span = arith::SubIOp::create(b, loc, upper, lower);
  Value full = arith::SubIOp::create(b, loc, upper, arith::RemUIOp::create(b, loc, span, index(tileM)));
  emitTiles(tileM, lower, full);
  emitTiles(1, full, upper);
}

void MatmulEmitter::emitForValidRows(Value block, int64_t blocks, int64_t tileN,
                                     function_ref<void(int64_t)> emit) {
  int64_t lastRows = n - (blocks - 1) * tileN;
  if (lastRows == tileN) {
    emit(tileN);
    return;
  }
  Value isLast = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, block, index(blocks - 1));
  auto branch = scf::IfOp::create(b, loc, isLast, /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(branch.thenBlock());
  emit(lastRows);
  b.setInsertionPointToStart(branch.elseBlock());
  emit(tileN);
}

Value MatmulEmitter::loadWeights(VectorType type, Value offset, int64_t prefetchBytes) {
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  Value address = LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), weights, ValueRange{offset});
  Value loaded = LLVM::LoadOp::create(b, loc, type, address, /*alignment=*/1);
  if (prefetchBytes > 0)
    prefetchWeights(add(offset, i64(prefetchBytes)));
  return loaded;
}

void MatmulEmitter::prefetchWeights(Value offset, int locality) {
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  Value address = LLVM::GEPOp::create(b, loc, ptrType, b.getI8Type(), weights, ValueRange{offset});
  LLVM::Prefetch::create(b, loc, address, /*rw=*/0, locality, /*cache=*/1);
}

void MatmulEmitter::prefetchRange(Value offset, int64_t bytes) {
  for (int64_t line = 0; line < bytes; line += 64)
    prefetchWeights(add(offset, i64(line)));
}

SmallVector<Value> MatmulEmitter::slabStarts(const packing::MfreeLayout &layout, Value block) {
  SmallVector<Value> starts;
  for (int64_t slab = 0; slab < layout.slabs(); ++slab) {
    Value start = mul(toI64(block), i64(layout.chunksInSlab(slab) * layout.chunkBytes()));
    starts.push_back(slab == 0 ? start : add(start, i64(layout.slabStart(slab))));
  }
  return starts;
}

Value MatmulEmitter::chunkOffset(const packing::MfreeLayout &layout, ArrayRef<Value> starts,
                                 Value chunk, int64_t slab) {
  auto inSlab = [&](Value start, Value first) {
    Value local = first ? arith::SubIOp::create(b, loc, chunk, first).getResult() : chunk;
    return add(start, mul(toI64(local), i64(layout.chunkBytes())));
  };
  if (slab >= 0)
    return inSlab(starts[slab], slab == 0 ? Value() : index(slab * layout.slabChunks()));
  Value start = starts[0], first = index(0);
  for (int64_t s = 1; s < layout.slabs(); ++s) {
    Value firstOfS = index(s * layout.slabChunks());
    Value past = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, chunk, firstOfS);
    start = arith::SelectOp::create(b, loc, past, starts[s], start);
    first = arith::SelectOp::create(b, loc, past, firstOfS, first);
  }
  return inSlab(start, layout.slabs() == 1 ? Value() : first);
}

Value MatmulEmitter::unpackI2(Value packed, int64_t plane, int64_t bias) {
  return UnpackI2Op::create(b, loc, packed.getType(), packed, static_cast<uint64_t>(plane),
                            static_cast<uint64_t>(bias));
}

Value MatmulEmitter::divisor(Value m, int64_t lanes) {
  Value scale = arith::MulFOp::create(b, loc, memref::LoadOp::create(b, loc, aScale, ValueRange{m}),
                                      weightScale);
  return vector::BroadcastOp::create(b, loc, VectorType::get({lanes}, b.getF32Type()), scale);
}

void MatmulEmitter::storeScaled(Value m, Value n0, Value sums, Value divisor, int64_t validRows) {
  auto resultType = cast<VectorType>(divisor.getType());
  int64_t lanes = resultType.getNumElements();
  Value y = arith::DivFOp::create(b, loc, arith::SIToFPOp::create(b, loc, resultType, sums), divisor);
  if (validRows >= lanes) {
    vector::StoreOp::create(b, loc, y, out, ValueRange{m, n0});
    return;
  }
  Value mask = vector::ConstantMaskOp::create(b, loc, VectorType::get({lanes}, b.getI1Type()),
                                              ArrayRef<int64_t>{validRows});
  vector::MaskedStoreOp::create(b, loc, out, ValueRange{m, n0}, mask, y);
}

void MatmulEmitter::storeOneIfInside(Value m, Value nRow, Value rows, Value sum) {
  auto less = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  };
  Value inside = arith::AndIOp::create(b, loc, less(m, rows), less(nRow, index(n)));
  auto ifInside = scf::IfOp::create(b, loc, inside, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifInside.thenBlock());
  Value scale = vector::ExtractOp::create(b, loc, divisor(m, 1), ArrayRef<int64_t>{0});
  Value y = arith::DivFOp::create(b, loc, arith::SIToFPOp::create(b, loc, b.getF32Type(), sum), scale);
  memref::StoreOp::create(b, loc, y, out, ValueRange{m, nRow});
}

} // namespace tern
