//===- VectorLoops.cpp ----------------------------------------------------===//
#include "compiler/lowering/model/VectorLoops.h"
#include "compiler/lowering/GpuLaunch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
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
  if (element.isInteger())
    return arith::SIToFPOp::create(b, loc, type, v);
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
  // Horner's steps may fuse into FMAs: a rounding less each, well within the
  // ulp above, which the softmax's f64 sums round away to f32 but at ties.
  auto contract = arith::FastMathFlags::contract;
  for (int n = 12; n >= 0; --n) {
    factorial /= (n + 1);
    p = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, p, r, contract),
                              constant(1.0 / factorial), contract);
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
  if (inBlocks())
    return distribute(begin, end, [&](Value j) { body(j, VectorType::get({1}, element)); });
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
  if (inBlocks())
    return blockReduce(begin, end, kind,
                       arith::ConstantOp::create(b, loc, b.getFloatAttr(element, init)), body);
  return reduceEach(begin, end, kind, init, element, 1, [&](Value j, VectorType type) {
    return SmallVector<Value>{body(j, type)};
  })[0];
}

SmallVector<Value> VectorLoops::reduceEach(Value begin, Value end, vector::CombiningKind kind,
                                           float init, int64_t count,
                                           function_ref<SmallVector<Value>(Value, VectorType)> body) {
  return reduceEach(begin, end, kind, static_cast<double>(init), b.getF32Type(), count, body);
}

SmallVector<Value> VectorLoops::reduceEach(Value begin, Value end, vector::CombiningKind kind,
                                           double init, Type element, int64_t count,
                                           function_ref<SmallVector<Value>(Value, VectorType)> body) {
  assert(!inBlocks() && "GPU blocks reduce one value at a time");
  int64_t width = lanesFor(element);
  Value full = fullEnd(b, loc, begin, end, index(width));
  auto wide = VectorType::get({width}, element);
  Value start = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(wide, b.getFloatAttr(element, init).getValue()));
  auto main = scf::ForOp::create(b, loc, begin, full, index(width),
                                 SmallVector<Value>(count, start));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(main.getBody());
    SmallVector<Value> v = body(main.getInductionVar(), wide), sums;
    for (int64_t i = 0; i < count; ++i)
      sums.push_back(combine(kind, main.getRegionIterArgs()[i], v[i]));
    scf::YieldOp::create(b, loc, sums);
  }
  SmallVector<Value> partials;
  for (int64_t i = 0; i < count; ++i)
    partials.push_back(vector::ReductionOp::create(b, loc, kind, main.getResult(i)));
  auto tail = scf::ForOp::create(b, loc, full, end, index(1), partials);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(tail.getBody());
    SmallVector<Value> v = body(tail.getInductionVar(), VectorType::get({1}, element)), sums;
    for (int64_t i = 0; i < count; ++i)
      sums.push_back(combine(kind, tail.getRegionIterArgs()[i],
                             vector::ExtractOp::create(b, loc, v[i], ArrayRef<int64_t>{0})));
    scf::YieldOp::create(b, loc, sums);
  }
  return SmallVector<Value>(tail.getResults());
}

void VectorLoops::parallel(Value count, function_ref<void(Value)> body) {
  auto loop = scf::ParallelOp::create(b, loc, ValueRange{index(0)}, ValueRange{count},
                                      ValueRange{index(1)});
  if (style.gpu)
    loop->setAttr(kBlockThreadsAttr, b.getI64IntegerAttr(style.blockThreads));
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

void VectorLoops::distribute(Value begin, Value end, function_ref<void(Value)> body) {
  if (!style.gpu)
    return loop(begin, end, body);
  Value first = arith::AddIOp::create(b, loc, begin, style.gpu->threadIndex(b, loc));
  auto dealt = scf::ForOp::create(b, loc, first, end, index(style.blockThreads));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(dealt.getBody());
    body(dealt.getInductionVar());
  }
  barrier();
}

void VectorLoops::barrier() {
  if (style.gpu)
    style.gpu->barrier(b, loc);
}

Value VectorLoops::blockBuffer(StringRef name, Type element, int64_t count) {
  auto type = MemRefType::get({count}, element);
  if (!style.gpu)
    return memref::AllocaOp::create(b, loc, type);
  return gpuSharedBuffer(b, loc, *style.gpu, name, type);
}

Value VectorLoops::shuffleXor(Value value, int64_t offset) {
  Type i32 = b.getI32Type();
  if (value.getType().isF32())
    return arith::BitcastOp::create(
        b, loc, value.getType(),
        style.gpu->shuffleXor(b, loc, arith::BitcastOp::create(b, loc, i32, value), offset));
  // 64 bits as two 32-bit shuffles.
  Type i64 = b.getI64Type();
  Value bits = arith::BitcastOp::create(b, loc, i64, value);
  Value thirtyTwo = arith::ConstantIntOp::create(b, loc, 32, 64);
  auto shuffled = [&](Value half) -> Value {
    return arith::ExtUIOp::create(
        b, loc, i64,
        style.gpu->shuffleXor(b, loc, arith::TruncIOp::create(b, loc, i32, half), offset));
  };
  Value low = shuffled(bits);
  Value high = shuffled(arith::ShRUIOp::create(b, loc, bits, thirtyTwo));
  Value joined = arith::OrIOp::create(b, loc, arith::ShLIOp::create(b, loc, high, thirtyTwo), low);
  return arith::BitcastOp::create(b, loc, value.getType(), joined);
}

Value VectorLoops::blockReduce(Value begin, Value end, vector::CombiningKind kind, Value init,
                               function_ref<Value(Value, VectorType)> body) {
  constexpr int64_t kWarp = 32;
  int64_t threads = style.blockThreads, warps = threads / kWarp;
  Type element = init.getType();
  // Thread t's elements: begin + t, begin + t + threads, ...
  auto threadSum = [&](Value t) -> Value {
    auto share = scf::ForOp::create(b, loc, arith::AddIOp::create(b, loc, begin, t), end,
                                    index(threads), ValueRange{init});
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(share.getBody());
    Value v = vector::ExtractOp::create(
        b, loc, body(share.getInductionVar(), VectorType::get({1}, element)), ArrayRef<int64_t>{0});
    scf::YieldOp::create(b, loc, combine(kind, share.getRegionIterArgs()[0], v));
    return share.getResult(0);
  };
  // Each warp's sum ends at index `stride` * warp of `sums`.
  Value sums;
  int64_t stride;
  // One buffer for every reduction of the module: each ends with a barrier
  // before the buffer can be written again.
  StringRef name = "tern_block_partials";
  if (style.gpu) {
    Value thread = style.gpu->threadIndex(b, loc);
    Value sum = threadSum(thread);
    for (int64_t offset = kWarp / 2; offset >= 1; offset /= 2)
      sum = combine(kind, sum, shuffleXor(sum, offset));
    sums = blockBuffer(name, element, warps);
    stride = 1;
    Value lane = arith::RemUIOp::create(b, loc, thread, index(kWarp));
    auto firstLane = scf::IfOp::create(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, index(0)),
        /*withElseRegion=*/false);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(firstLane.thenBlock());
      memref::StoreOp::create(b, loc, sum, sums,
                              ValueRange{arith::DivUIOp::create(b, loc, thread, index(kWarp))});
    }
    barrier();
  } else {
    sums = blockBuffer(name, element, threads);
    stride = kWarp;
    loop(index(0), index(threads), [&](Value t) {
      memref::StoreOp::create(b, loc, threadSum(t), sums, ValueRange{t});
    });
    // Lane l < offset of the butterfly adds lane l + offset's value to its own.
    for (int64_t offset = kWarp / 2; offset >= 1; offset /= 2)
      loop(index(0), index(warps), [&](Value w) {
        loop(index(0), index(offset), [&](Value l) {
          Value lane = arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, w, index(kWarp)), l);
          Value partner = arith::AddIOp::create(b, loc, lane, index(offset));
          Value mine = memref::LoadOp::create(b, loc, sums, ValueRange{lane});
          Value theirs = memref::LoadOp::create(b, loc, sums, ValueRange{partner});
          memref::StoreOp::create(b, loc, combine(kind, mine, theirs), sums, ValueRange{lane});
        });
      });
  }
  auto total = scf::ForOp::create(b, loc, index(0), index(warps), index(1), ValueRange{init});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(total.getBody());
    Value w = arith::MulIOp::create(b, loc, total.getInductionVar(), index(stride));
    Value warpSum = memref::LoadOp::create(b, loc, sums, ValueRange{w});
    scf::YieldOp::create(b, loc, combine(kind, total.getRegionIterArgs()[0], warpSum));
  }
  // The next reduction may write the buffer again.
  barrier();
  return total.getResult(0);
}

std::pair<Value, Value> VectorLoops::sinCosF64(Value x) {
  auto constant = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getF64FloatAttr(v));
  };
  Value k = math::RoundEvenOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, constant(6.36619772367581382433e-01)));
  // x - k pi/2 with pi/2 in three parts of 33 bits: each product is exact.
  Value r = x;
  for (double part : {1.57079632673412561417e+00, 6.07710050630396597660e-11,
                      2.02226624871116645580e-21})
    r = arith::SubFOp::create(b, loc, r, arith::MulFOp::create(b, loc, k, constant(part)));
  Value r2 = arith::MulFOp::create(b, loc, r, r);
  // sin r = r (1 - r^2/3! + ... + r^16/17!), cos r = 1 - r^2/2! + ... + r^18/18!:
  // the next terms are below 1e-19 for |r| <= pi/4.
  auto series = [&](int firstPower) {
    SmallVector<double> coefficients;
    for (int n = 0; n < 9 + (firstPower == 0); ++n) {
      int power = firstPower + 2 * n;
      double factorial = 1;
      for (int f = 2; f <= power; ++f)
        factorial *= f;
      coefficients.push_back((n % 2 ? -1.0 : 1.0) / factorial);
    }
    Value p = constant(coefficients.back());
    for (int n = static_cast<int>(coefficients.size()) - 2; n >= 0; --n)
      p = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, p, r2), constant(coefficients[n]));
    return p;
  };
  Value sinR = arith::MulFOp::create(b, loc, r, series(1));
  Value cosR = series(0);
  // The quadrant k mod 4 rotates (sin r, cos r) by k quarter turns.
  Type i64 = b.getI64Type();
  Value quadrant = arith::AndIOp::create(b, loc, arith::FPToSIOp::create(b, loc, i64, k),
                                         arith::ConstantIntOp::create(b, loc, 3, 64));
  auto is = [&](int64_t q) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, quadrant,
                                 arith::ConstantIntOp::create(b, loc, q, 64));
  };
  Value negSin = arith::NegFOp::create(b, loc, sinR), negCos = arith::NegFOp::create(b, loc, cosR);
  auto pick = [&](Value q0, Value q1, Value q2, Value q3) -> Value {
    Value low = arith::SelectOp::create(b, loc, is(0), q0, q1);
    Value high = arith::SelectOp::create(b, loc, is(2), q2, q3);
    Value firstHalf = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, quadrant,
                                            arith::ConstantIntOp::create(b, loc, 2, 64));
    return arith::SelectOp::create(b, loc, firstHalf, low, high);
  };
  return {pick(sinR, cosR, negSin, negCos), pick(cosR, negSin, negCos, sinR)};
}

} // namespace tern
