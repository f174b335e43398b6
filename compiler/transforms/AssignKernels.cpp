//===- AssignKernels.cpp - choose the kernel of every bitlinear -----------===//
#include "compiler/lowering/KernelLayouts.h"
#include "compiler/transforms/Passes.h"
#include "compiler/tuning/KernelChoice.h"

#include <map>

using namespace mlir;

namespace tern {
#define GEN_PASS_DEF_TERNASSIGNKERNELS
#include "compiler/transforms/Passes.h.inc"

namespace {

/// Prefill matmuls are tuned for this many rows.
constexpr int64_t kPrefillRows = 128;

int64_t tunedRows(BitLinearOp op) {
  int64_t rows = op.getX().getType().getDimSize(0);
  return ShapedType::isDynamic(rows) ? kPrefillRows : rows;
}

struct TernAssignKernelsPass final : impl::TernAssignKernelsBase<TernAssignKernelsPass> {
  using TernAssignKernelsBase::TernAssignKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::Expected<TargetDesc> target = getModuleTarget(module);
    if (!target) {
      module.emitError(llvm::toString(target.takeError()));
      return signalPassFailure();
    }
    std::optional<Strategy> onlyStrategy;
    if (!strategy.empty()) {
      onlyStrategy = symbolizeStrategy(strategy);
      if (!onlyStrategy) {
        module.emitError("unknown strategy '") << strategy << "'";
        return signalPassFailure();
      }
    }
    std::unique_ptr<TuningDb> db;
    if (!tuningDb.empty()) {
      auto opened = TuningDb::open(tuningDb);
      if (!opened) {
        module.emitError(llvm::toString(opened.takeError()));
        return signalPassFailure();
      }
      db = std::move(*opened);
    }
    // Bitlinears by the weights they read, decode (one row) first: it runs
    // once per generated token, so it chooses the layout. Weights loaded by
    // name (tern.weight, one op per function) are the same bytes wherever
    // they are read.
    std::map<std::string, SmallVector<BitLinearOp>> byWeight;
    std::vector<std::string> order;
    module.walk([&](BitLinearOp op) {
      if (op.getKernel())
        return;
      std::string key;
      if (auto weight = op.getWeight().getDefiningOp<WeightOp>())
        key = "name:" + weight.getName().str();
      else
        key = "value:" + std::to_string(reinterpret_cast<uintptr_t>(
                             op.getWeight().getAsOpaquePointer()));
      auto &ops = byWeight[key];
      if (ops.empty())
        order.push_back(key);
      ops.push_back(op);
    });
    for (const std::string &key : order) {
      SmallVector<BitLinearOp> &ops = byWeight[key];
      llvm::stable_sort(ops, [](BitLinearOp a, BitLinearOp b) { return tunedRows(a) < tunedRows(b); });
      // Only a tern.weight can change packing: its bytes are packed at
      // compile time. Anything else keeps the packing it has.
      auto type = cast<TernaryType>(ops.front().getWeight().getType());
      bool retypable = llvm::all_of(
          ops, [](BitLinearOp op) { return op.getWeight().getDefiningOp<WeightOp>() != nullptr; });
      // The first choice fixes the weights' layout (packing, block rows and
      // K slabs);
      // the others pick any strategy that reads it.
      std::optional<Packing> packing;
      if (!retypable)
        packing = type.getPacking().getValue();
      std::optional<int64_t> tileN, slabs;
      // Decode and prefill kernels of one weight: where both were tuned, the
      // layout is the one that serves both best, not decode's favourite.
      std::string layoutReason;
      if (db && retypable && tunedRows(ops.front()) == 1 && tunedRows(ops.back()) > 1)
        if (std::optional<SharedLayout> shared =
                chooseSharedLayout(*target, type.getRows(), type.getCols(), threads,
                                   tunedRows(ops.back()), *db)) {
          packing = shared->packing;
          tileN = shared->tileN;
          layoutReason = "; " + shared->reason;
        }
      for (BitLinearOp op : ops) {
        KernelRequest request{tunedRows(op), type.getRows(), type.getCols(), threads,
                              onlyStrategy, packing, tileN, slabs};
        KernelChoice choice = chooseKernel(&getContext(), *target, request, db.get());
        const Candidate &c = choice.candidate;
        if (type.getCols() % packingGroupSize(c.packing) != 0) {
          op.emitOpError("K (") << type.getCols() << ") does not fit the chosen packing "
                                << stringifyPacking(c.packing);
          return signalPassFailure();
        }
        packing = c.packing;
        tileN = c.kernel.getTileN();
        slabs = kernelSlabs(c.kernel);
        op.setKernelAttr(c.kernel);
        op->setAttr("tern.kernel_reason",
                    StringAttr::get(&getContext(), choice.reason + layoutReason));
      }
      if (retypable && *packing != type.getPacking().getValue())
        for (BitLinearOp op : ops)
          op.getWeight().setType(TernaryType::get(&getContext(), type.getShape(),
                                                  PackingAttr::get(&getContext(), *packing)));
    }
  }
};

} // namespace
} // namespace tern
