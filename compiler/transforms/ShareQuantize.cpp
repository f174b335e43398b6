//===- ShareQuantize.cpp - one quantization per activation ----------------===//
#include "compiler/transforms/Passes.h"

#include "dialects/tern/TernDialect.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNSHAREQUANTIZE
#include "compiler/transforms/Passes.h.inc"

namespace {

/// The buffer a memref value views: through views to the allocation.
Value rootBuffer(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      break;
    v = view.getViewSource();
  }
  return v;
}

/// True if `op` may write any of `buffers`. Ops without declared effects
/// (function calls, loops with unknown bodies) count as writing everything.
bool mayWrite(Operation *op, ArrayRef<Value> buffers) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return !isPure(op) || op->getNumRegions() != 0;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  for (const MemoryEffects::EffectInstance &e : instances) {
    if (!isa<MemoryEffects::Write>(e.getEffect()))
      continue;
    Value written = e.getValue();
    if (!written)
      return true; // writes something unspecified
    if (llvm::is_contained(buffers, rootBuffer(written)))
      return true;
  }
  return false;
}

struct TernShareQuantizePass final : impl::TernShareQuantizeBase<TernShareQuantizePass> {
  void runOnOperation() override {
    SmallVector<QuantizeOp> redundant;
    getOperation().walk([&](QuantizeOp later) {
      Value input = rootBuffer(later.getX());
      for (Operation *op = later->getPrevNode(); op; op = op->getPrevNode()) {
        auto earlier = dyn_cast<QuantizeOp>(op);
        if (earlier && rootBuffer(earlier.getX()) == input &&
            earlier.getX().getType() == later.getX().getType()) {
          later.getQ().replaceAllUsesWith(earlier.getQ());
          later.getScale().replaceAllUsesWith(earlier.getScale());
          redundant.push_back(later);
          return;
        }
        // Quantizations of other buffers only write their own results.
        if (mayWrite(op, {input}))
          return;
      }
    });
    for (QuantizeOp op : redundant) {
      SmallVector<Operation *> buffers = {op.getQ().getDefiningOp(), op.getScale().getDefiningOp()};
      op.erase();
      for (Operation *buffer : buffers)
        if (buffer && isa<memref::AllocOp>(buffer) && buffer->use_empty())
          buffer->erase();
    }
  }
};

} // namespace
} // namespace tern
