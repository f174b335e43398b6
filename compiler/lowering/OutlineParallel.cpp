//===- OutlineParallel.cpp - scf.parallel to runtime-dispatched functions -===//
#include "compiler/lowering/Passes.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNOUTLINEPARALLEL
#include "compiler/lowering/Passes.h.inc"

namespace {

constexpr llvm::StringLiteral kContextAttr = "tern.runtime_context";

Value findRuntimeContext(func::FuncOp func) {
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), kContextAttr) &&
        isa<LLVM::LLVMPointerType>(arg.getType()))
      return arg;
  return {};
}

bool isConstant(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->hasTrait<OpTrait::ConstantLike>();
}

LogicalResult outline(scf::ParallelOp loop, SymbolTable &symbols) {
  if (loop.getNumLoops() != 1)
    return loop.emitOpError("only one-dimensional parallel loops are dispatched to the runtime");
  if (loop.getNumReductions() != 0)
    return loop.emitOpError("parallel loops with reductions are not dispatched to the runtime");
  auto parent = loop->getParentOfType<func::FuncOp>();
  Value context = parent ? findRuntimeContext(parent) : Value();
  if (!context)
    return loop.emitOpError("must be inside a function with an !llvm.ptr argument marked '")
           << kContextAttr << "'";

  Location loc = loop.getLoc();
  Value lower = loop.getLowerBound()[0], upper = loop.getUpperBound()[0], step = loop.getStep()[0];
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  used.insert(lower);
  used.insert(step);
  SmallVector<Value> captures, constants;
  for (Value v : used)
    (isConstant(v) ? constants : captures).push_back(v);

  // func.func private @<parent>_parallel(%begin, %end, captures...)
  OpBuilder builder(parent->getContext());
  builder.setInsertionPointAfter(parent);
  SmallVector<Type> argTypes = {builder.getIndexType(), builder.getIndexType()};
  llvm::append_range(argTypes, ValueRange(captures).getTypes());
  auto body = func::FuncOp::create(builder, loc, (parent.getSymName() + "_parallel").str(),
                                   builder.getFunctionType(argTypes, {}));
  body.setPrivate();
  // Internal to the library: only the entry points are its interface.
  body->setAttr("llvm.linkage",
                LLVM::LinkageAttr::get(builder.getContext(), LLVM::Linkage::Internal));
  symbols.insert(body);
  Block *entry = body.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [capture, arg] : llvm::zip(captures, entry->getArguments().drop_front(2)))
    mapping.map(capture, arg);
  for (Value c : constants)
    builder.clone(*c.getDefiningOp(), mapping);
  Value one = arith::ConstantIndexOp::create(builder, loc, 1);
  auto sequential = scf::ForOp::create(builder, loc, entry->getArgument(0), entry->getArgument(1), one, ValueRange{},
                     [&](OpBuilder &b, Location l, Value i, ValueRange) {
                       Value scaled = arith::MulIOp::create(b, l, i, mapping.lookup(step));
                       mapping.map(loop.getInductionVars()[0],
                                   arith::AddIOp::create(b, l, scaled, mapping.lookup(lower)));
                       for (Operation &op : loop.getBody()->without_terminator())
                         b.clone(op, mapping);
                       scf::YieldOp::create(b, l);
                     });
  // A fixed-size stack buffer in the body is per-task scratch: allocate it
  // once per call, not once per iteration (allocas are freed only on return).
  SmallVector<memref::AllocaOp> buffers;
  sequential.walk([&](memref::AllocaOp alloca) {
    if (alloca.getType().hasStaticShape() && alloca->getNumOperands() == 0)
      buffers.push_back(alloca);
  });
  for (memref::AllocaOp alloca : buffers)
    alloca->moveBefore(sequential);
  func::ReturnOp::create(builder, loc);

  // count = max(0, ceil((upper - lower) / step)); scf.parallel steps are positive.
  builder.setInsertionPoint(loop);
  Value span = arith::SubIOp::create(builder, loc, upper, lower);
  Value count = arith::MaxSIOp::create(builder, loc,
                                       arith::CeilDivSIOp::create(builder, loc, span, step),
                                       arith::ConstantIndexOp::create(builder, loc, 0));
  ParallelDispatchOp::create(builder, loc, body.getSymName(), count, context, captures);
  loop.erase();
  return success();
}

struct TernOutlineParallelPass final : impl::TernOutlineParallelBase<TernOutlineParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      if (failed(outline(loop, symbols)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace tern
