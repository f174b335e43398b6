//===- OutlineParallel.cpp - scf.parallel to runtime threads or GPU kernels ===//
#include "compiler/lowering/GpuLaunch.h"
#include "compiler/lowering/Passes.h"
#include "compiler/lowering/RuntimeContext.h"
#include "targets/Target.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
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

/// Values the outlined body recomputes rather than takes as arguments:
/// constants, and the addresses of globals (which differ between host and GPU).
bool isConstant(Value v) {
  Operation *def = v.getDefiningOp();
  return def && (def->hasTrait<OpTrait::ConstantLike>() || isa<memref::GetGlobalOp>(def));
}

/// The loop's body as a function of `leading` arguments and the values it
/// uses from above (constants are cloned in), which `emit` fills in; returns
/// the function and those values.
std::pair<func::FuncOp, SmallVector<Value>>
outlineBody(scf::ParallelOp loop, SymbolTable &symbols, StringRef suffix, TypeRange leading,
            function_ref<void(OpBuilder &, func::FuncOp, IRMapping &)> emit) {
  Location loc = loop.getLoc();
  auto parent = loop->getParentOfType<func::FuncOp>();
  llvm::SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  used.insert(loop.getLowerBound()[0]);
  used.insert(loop.getStep()[0]);
  SmallVector<Value> captures, constants;
  for (Value v : used)
    (isConstant(v) ? constants : captures).push_back(v);

  OpBuilder builder(parent->getContext());
  builder.setInsertionPointAfter(parent);
  SmallVector<Type> argTypes(leading);
  llvm::append_range(argTypes, ValueRange(captures).getTypes());
  auto body = func::FuncOp::create(builder, loc, (parent.getSymName() + suffix).str(),
                                   builder.getFunctionType(argTypes, {}));
  symbols.insert(body);
  Block *entry = body.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [capture, arg] : llvm::zip(captures, entry->getArguments().drop_front(leading.size())))
    mapping.map(capture, arg);
  for (Value c : constants)
    builder.clone(*c.getDefiningOp(), mapping);
  emit(builder, body, mapping);
  func::ReturnOp::create(builder, loc);
  return {body, captures};
}

/// iteration = lower + i * step, then the body's ops, at the builder.
void cloneIteration(OpBuilder &b, scf::ParallelOp loop, Value i, IRMapping &mapping) {
  Location loc = loop.getLoc();
  Value scaled = arith::MulIOp::create(b, loc, i, mapping.lookup(loop.getStep()[0]));
  mapping.map(loop.getInductionVars()[0],
              arith::AddIOp::create(b, loc, scaled, mapping.lookup(loop.getLowerBound()[0])));
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
}

/// count = max(0, ceil((upper - lower) / step)); scf.parallel steps are positive.
Value iterationCount(OpBuilder &b, scf::ParallelOp loop) {
  Location loc = loop.getLoc();
  Value span = arith::SubIOp::create(b, loc, loop.getUpperBound()[0], loop.getLowerBound()[0]);
  return arith::MaxSIOp::create(b, loc, arith::CeilDivSIOp::create(b, loc, span, loop.getStep()[0]),
                                arith::ConstantIndexOp::create(b, loc, 0));
}

/// A CPU loop: a function of (begin, end, captures...) the runtime's threads
/// call on ranges of iterations.
void outlineForThreads(scf::ParallelOp loop, Value context, SymbolTable &symbols) {
  Location loc = loop.getLoc();
  OpBuilder b(loop);
  Type index = b.getIndexType();
  scf::ForOp sequential;
  auto [body, captures] = outlineBody(
      loop, symbols, "_parallel", {index, index}, [&](OpBuilder &builder, func::FuncOp f, IRMapping &mapping) {
        Value one = arith::ConstantIndexOp::create(builder, loc, 1);
        sequential = scf::ForOp::create(builder, loc, f.getArgument(0), f.getArgument(1), one, ValueRange{},
                                        [&](OpBuilder &nested, Location, Value i, ValueRange) {
                                          cloneIteration(nested, loop, i, mapping);
                                          scf::YieldOp::create(nested, loc);
                                        });
      });
  body.setPrivate();
  // Internal to the library: only the entry points are its interface.
  body->setAttr("llvm.linkage", LLVM::LinkageAttr::get(b.getContext(), LLVM::Linkage::Internal));
  // A fixed-size stack buffer in the body is per-task scratch: allocate it
  // once per call, not once per iteration (allocas are freed only on return).
  SmallVector<memref::AllocaOp> buffers;
  sequential.walk([&](memref::AllocaOp alloca) {
    if (alloca.getType().hasStaticShape() && alloca->getNumOperands() == 0)
      buffers.push_back(alloca);
  });
  for (memref::AllocaOp alloca : buffers)
    alloca->moveBefore(sequential);
  ParallelDispatchOp::create(b, loc, body.getSymName(), iterationCount(b, loop), context, captures);
}

/// A GPU loop: a kernel of (captures...) whose block x runs iteration x.
void outlineForGpu(scf::ParallelOp loop, int64_t threads, const GpuMapping &gpu, Value context,
                   SymbolTable &symbols) {
  OpBuilder b(loop);
  auto [kernel, captures] = outlineBody(loop, symbols, "_kernel", {},
                                        [&](OpBuilder &builder, func::FuncOp, IRMapping &mapping) {
                                          cloneIteration(builder, loop, gpu.blockIndex(builder, loop.getLoc(), 0),
                                                         mapping);
                                        });
  kernel->setAttr(kGpuKernelAttr, b.getI64IntegerAttr(threads));
  GpuLaunchOp::create(b, loop.getLoc(), kernel.getSymName(), ValueRange{iterationCount(b, loop)}, threads,
                      context, captures);
}

LogicalResult outline(scf::ParallelOp loop, SymbolTable &symbols, const GpuMapping *gpu) {
  if (loop.getNumLoops() != 1)
    return loop.emitOpError("only one-dimensional parallel loops are dispatched to the runtime");
  if (loop.getNumReductions() != 0)
    return loop.emitOpError("parallel loops with reductions are not dispatched to the runtime");
  auto parent = loop->getParentOfType<func::FuncOp>();
  Value context = parent ? findRuntimeContext(parent) : Value();
  if (!context)
    return loop.emitOpError("must be inside a function with an !llvm.ptr argument marked '")
           << kRuntimeContextAttr << "'";
  if (auto threads = loop->getAttrOfType<IntegerAttr>(kBlockThreadsAttr)) {
    if (!gpu)
      return loop.emitOpError("runs as GPU blocks, but the module's target is not a GPU");
    outlineForGpu(loop, threads.getInt(), *gpu, context, symbols);
  } else {
    outlineForThreads(loop, context, symbols);
  }
  loop.erase();
  return success();
}

struct TernOutlineParallelPass final : impl::TernOutlineParallelBase<TernOutlineParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    const GpuMapping *gpu = nullptr;
    if (llvm::Expected<TargetDesc> target = getModuleTarget(module))
      gpu = lookupTargetBackend(target->arch)->gpuMapping();
    else
      llvm::consumeError(target.takeError());
    SymbolTable symbols(module);
    SmallVector<scf::ParallelOp> loops;
    module.walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ParallelOp loop : loops)
      if (failed(outline(loop, symbols, gpu)))
        return signalPassFailure();
  }
};

} // namespace
} // namespace tern
