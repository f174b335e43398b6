//===- VectorLoops.cpp ----------------------------------------------------===//
#include "compiler/lowering/model/VectorLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
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
  return loadAs(memref, indices, f32Vector(type));
}

Value VectorLoops::loadAs(Value memref, ValueRange indices, VectorType type) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  Value v = vector::LoadOp::create(b, loc, VectorType::get(type.getShape(), element), memref, indices);
  if (element == type.getElementType())
    return v;
  return arith::ExtFOp::create(b, loc, type, v, arith::FastMathFlagsAttr());
}

int64_t VectorLoops::lanesFor(Type element) const {
  return std::max<int64_t>(1, lanes * 32 / static_cast<int64_t>(element.getIntOrFloatBitWidth()));
}

Value VectorLoops::expF64(Value x) {
  auto type = cast<VectorType>(x.getType());
  auto constant = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, b.getF64FloatAttr(v).getValue()));
  };
  auto integers = VectorType::get(type.getShape(), b.getI64Type());
  // Below -708 the result is 0 (or a subnormal, which softmax weights can drop).
  Value clamped = arith::MaximumFOp::create(b, loc, x, constant(-708.0));
  Value k = math::RoundEvenOp::create(
      b, loc, arith::MulFOp::create(b, loc, clamped, constant(1.4426950408889634)));
  // r = x - k ln2, with ln 2 split so that k * ln2_hi is exact.
  Value r = arith::SubFOp::create(b, loc, clamped,
                                  arith::MulFOp::create(b, loc, k, constant(6.93147180369123816490e-01)));
  r = arith::SubFOp::create(b, loc, r, arith::MulFOp::create(b, loc, k, constant(1.90821492927058770002e-10)));
  // e^r = sum r^n / n!, n <= 13: |r| <= 0.35 leaves an error below 1e-17.
  Value p = constant(1.0 / 6227020800.0);
  double factorial = 6227020800.0;
  for (int n = 12; n >= 0; --n) {
    factorial /= (n + 1);
    p = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, p, r), constant(1.0 / factorial));
  }
  // Multiply by 2^k through the exponent bits.
  Value bits = arith::BitcastOp::create(b, loc, integers, p);
  Value shift = arith::ShLIOp::create(
      b, loc, arith::FPToSIOp::create(b, loc, integers, k),
      arith::ConstantOp::create(b, loc, DenseElementsAttr::get(integers, b.getI64IntegerAttr(52).getValue())));
  return arith::BitcastOp::create(b, loc, type, arith::AddIOp::create(b, loc, bits, shift));
}

/// [begin, full) in steps of `lanes`, where full = end - (end - begin) % lanes.
static Value fullEnd(OpBuilder &b, Location loc, Value begin, Value end, Value lanes) {
  Value span = arith::SubIOp::create(b, loc, end, begin);
  return arith::SubIOp::create(b, loc, end, arith::RemUIOp::create(b, loc, span, lanes));
}

void VectorLoops::forEach(Value begin, Value end, Type element,
                          function_ref<void(Value, VectorType)> body) {
  int64_t width = lanesFor(element);
  Value full = fullEnd(b, loc, begin, end, index(width));
  for (auto [from, to, step] : {std::tuple{begin, full, width}, std::tuple{full, end, int64_t(1)}}) {
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
  return reduce(begin, end, kind, static_cast<double>(init), b.getF32Type(), body);
}

Value VectorLoops::reduce(Value begin, Value end, vector::CombiningKind kind, double init,
                          Type element, function_ref<Value(Value, VectorType)> body) {
  int64_t width = lanesFor(element);
  Value full = fullEnd(b, loc, begin, end, index(width));
  auto wide = VectorType::get({width}, element);
  Value start = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wide, b.getFloatAttr(element, init).getValue()));
  auto main = scf::ForOp::create(b, loc, begin, full, index(width), ValueRange{start});
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
    Value v = body(tail.getInductionVar(), VectorType::get({1}, element));
    Value e = vector::ExtractOp::create(b, loc, v, ArrayRef<int64_t>{0});
    scf::YieldOp::create(b, loc, combine(kind, tail.getRegionIterArgs()[0], e));
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
