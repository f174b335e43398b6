//===- VectorLoops.cpp ----------------------------------------------------===//
#include "compiler/lowering/model/VectorLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;

namespace tern {

Value VectorLoops::index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

Value VectorLoops::f32(float v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

VectorType VectorLoops::f32Vector(VectorType like) {
  return VectorType::get(like.getShape(), b.getF32Type());
}

Value VectorLoops::splat(Value scalar, VectorType type) {
  return vector::BroadcastOp::create(b, loc, type, scalar);
}

Value VectorLoops::loadF32(Value memref, ValueRange indices, VectorType type) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  Value v = vector::LoadOp::create(b, loc, VectorType::get(type.getShape(), element), memref, indices);
  if (element.isF32())
    return v;
  return arith::ExtFOp::create(b, loc, f32Vector(type), v, arith::FastMathFlagsAttr());
}

/// [begin, full) in steps of `lanes`, where full = end - (end - begin) % lanes.
static Value fullEnd(OpBuilder &b, Location loc, Value begin, Value end, Value lanes) {
  Value span = arith::SubIOp::create(b, loc, end, begin);
  return arith::SubIOp::create(b, loc, end, arith::RemUIOp::create(b, loc, span, lanes));
}

void VectorLoops::forEach(Value begin, Value end, Type element,
                          function_ref<void(Value, VectorType)> body) {
  Value full = fullEnd(b, loc, begin, end, index(lanes));
  for (auto [from, to, step] : {std::tuple{begin, full, lanes}, std::tuple{full, end, int64_t(1)}}) {
    auto loop = scf::ForOp::create(b, loc, from, to, index(step));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    body(loop.getInductionVar(), VectorType::get({step}, element));
  }
}

Value VectorLoops::combine(vector::CombiningKind kind, Value a, Value x) {
  if (kind == vector::CombiningKind::ADD)
    return arith::AddFOp::create(b, loc, a, x);
  return arith::MaximumFOp::create(b, loc, a, x);
}

Value VectorLoops::reduce(Value begin, Value end, vector::CombiningKind kind, float init,
                          function_ref<Value(Value, VectorType)> body) {
  Value full = fullEnd(b, loc, begin, end, index(lanes));
  auto wide = VectorType::get({lanes}, b.getF32Type());
  Value start = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wide, b.getF32FloatAttr(init).getValue()));
  auto main = scf::ForOp::create(b, loc, begin, full, index(lanes), ValueRange{start});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(main.getBody());
    Value v = body(main.getInductionVar(), wide);
    scf::YieldOp::create(b, loc, combine(kind, main.getRegionIterArgs()[0], v));
  }
  Value partial = vector::ReductionOp::create(b, loc, kind, main.getResult(0));
  auto tail = scf::ForOp::create(b, loc, full, end, index(1), ValueRange{partial});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(tail.getBody());
    Value v = body(tail.getInductionVar(), VectorType::get({1}, b.getF32Type()));
    Value element = vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
    scf::YieldOp::create(b, loc, combine(kind, tail.getRegionIterArgs()[0], element));
  }
  return tail.getResult(0);
}

void VectorLoops::parallel(Value count, function_ref<void(Value)> body) {
  auto loop = scf::ParallelOp::create(b, loc, ValueRange{index(0)}, ValueRange{count},
                                      ValueRange{index(1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVars()[0]);
}

void VectorLoops::loop(Value begin, Value end, function_ref<void(Value)> body) {
  auto loop = scf::ForOp::create(b, loc, begin, end, index(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(loop.getInductionVar());
}

} // namespace tern
