//===- WeightPlacement.cpp ------------------------------------------------===//
#include "compiler/pipeline/WeightPlacement.h"
#include "compiler/lowering/KernelLayouts.h"

#include "dialects/tern/TernDialect.h"

#include "llvm/Support/MathExtras.h"

#include <map>

using namespace mlir;

namespace tern {

static constexpr int64_t kAlignment = 64;

const char *layoutName(const WeightEntry &entry) {
  switch (entry.kind) {
  case WeightEntry::Kind::Ternary: return packing::formatName(entry.packed.format);
  case WeightEntry::Kind::F32: return "f32";
  case WeightEntry::Kind::BF16: return "bf16";
  case WeightEntry::Kind::F16: return "f16";
  case WeightEntry::Kind::I8: return "i8";
  }
  return "?";
}

/// The layout `op`'s value must have for its readers.
static llvm::Expected<WeightEntry> layoutOf(WeightOp op) {
  WeightEntry e;
  e.name = op.getName().str();
  if (auto ternary = dyn_cast<TernaryType>(op.getType())) {
    e.kind = WeightEntry::Kind::Ternary;
    e.rows = ternary.getRows();
    e.cols = ternary.getCols();
    KernelAttr kernel;
    for (Operation *user : op->getUsers()) {
      auto matmul = dyn_cast<MatmulOp>(user);
      if (!matmul)
        return llvm::createStringError("weight " + e.name + " is read by " +
                                       user->getName().getStringRef().str() +
                                       ", which has no weight layout (decompose bitlinear first)");
      KernelAttr k = matmul.getKernel();
      if (kernel && (k.getLanes() != kernel.getLanes() || k.getTileN() != kernel.getTileN() ||
                     k.getStrategy() != kernel.getStrategy() ||
                     kernelSlabs(k) != kernelSlabs(kernel)))
        return llvm::createStringError("weight " + e.name +
                                       " is read by kernels with different layouts");
      kernel = k;
    }
    if (!kernel)
      return llvm::createStringError("weight " + e.name + " is never read");
    e.packed = weightLayout(kernel, ternary.getPacking().getValue(), e.rows, e.cols);
    e.bytes = packing::packedBytes(e.packed);
    return e;
  }
  auto memref = cast<MemRefType>(op.getType());
  Type element = memref.getElementType();
  if (element.isF32())
    e.kind = WeightEntry::Kind::F32;
  else if (element.isBF16())
    e.kind = WeightEntry::Kind::BF16;
  else if (element.isF16())
    e.kind = WeightEntry::Kind::F16;
  else if (element.isInteger(8))
    e.kind = WeightEntry::Kind::I8;
  else
    return llvm::createStringError("weight " + e.name + " has an element type Tern cannot store");
  e.rows = memref.getDimSize(0);
  e.cols = memref.getRank() > 1 ? memref.getDimSize(1) : 0;
  e.bytes = memref.getNumElements() * element.getIntOrFloatBitWidth() / 8;
  return e;
}

llvm::Expected<std::vector<WeightEntry>> placeWeights(ModuleOp module, int64_t layers) {
  std::map<std::string, WeightEntry> entries;
  std::map<std::string, SmallVector<WeightOp>> ops;
  llvm::Error error = llvm::Error::success();
  module.walk([&](WeightOp op) {
    if (error)
      return;
    auto entry = layoutOf(op);
    if (!entry) {
      error = entry.takeError();
      return;
    }
    entry->layers = op.getLayer() ? layers : 0;
    auto [it, inserted] = entries.emplace(entry->name, *entry);
    const packing::LayoutParams &a = it->second.packed, &b = entry->packed;
    if (!inserted && (std::string(layoutName(it->second)) != layoutName(*entry) ||
                      it->second.bytes != entry->bytes || it->second.layers != entry->layers ||
                      (entry->kind == WeightEntry::Kind::Ternary && a != b)))
      error = llvm::createStringError("weight " + entry->name +
                                      " is read in two different layouts");
    ops[entry->name].push_back(op);
  });
  if (error)
    return std::move(error);
  std::vector<WeightEntry> placed;
  int64_t offset = 0;
  Builder b(module.getContext());
  for (auto &[name, e] : entries) {
    e.offset = offset;
    e.stride = e.layers ? static_cast<int64_t>(llvm::alignTo(e.bytes, kAlignment)) : 0;
    offset += llvm::alignTo(e.layers ? e.stride * e.layers : e.bytes, kAlignment);
    for (WeightOp op : ops[name]) {
      op.setOffsetAttr(b.getI64IntegerAttr(e.offset));
      if (e.layers)
        op.setStrideAttr(b.getI64IntegerAttr(e.stride));
    }
    placed.push_back(e);
  }
  return placed;
}

} // namespace tern
