//===- SearchSpace.cpp ----------------------------------------------------===//
#include "compiler/tuning/SearchSpace.h"
#include "compiler/lowering/amx/AmxMatmul.h"
#include "compiler/lowering/lut/LutMatmul.h"
#include "compiler/lowering/mfree/MfreeMatmul.h"
#include "compiler/lowering/mma/MmaMatmul.h"
#include "compiler/lowering/rowlut/RowLutMatmul.h"
#include "compiler/lowering/simt/SimtMatmul.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

namespace tern {

std::string Candidate::key() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << stringifyStrategy(strategy) << "/" << stringifyPacking(packing) << " ";
  mlir::Attribute(kernel).print(os);
  return text;
}

int64_t SearchSpace::points() const {
  int64_t n = static_cast<int64_t>(packings_.size());
  for (const ParameterRange &p : parameters_)
    n *= static_cast<int64_t>(p.values.size());
  return n;
}

std::vector<int64_t> SearchSpace::coordinates(const Candidate &c) const {
  auto value = [&](llvm::StringRef name) -> int64_t {
    if (name == "lanes") return c.kernel.getLanes();
    if (name == "tile_n") return c.kernel.getTileN();
    if (name == "tile_m") return c.kernel.getTileM();
    if (name == "unroll_k") return c.kernel.getUnrollK();
    if (name == "prefetch") return c.kernel.getPrefetch();
    return c.kernel.getStreams();
  };
  std::vector<int64_t> coords;
  auto packing = std::find(packings_.begin(), packings_.end(), c.packing);
  coords.push_back(packing == packings_.end() ? 0 : packing - packings_.begin());
  for (const ParameterRange &p : parameters_) {
    int64_t want = value(p.name), best = 0;
    for (size_t i = 0; i < p.values.size(); ++i)
      if (std::abs(p.values[i] - want) < std::abs(p.values[best] - want))
        best = static_cast<int64_t>(i);
    coords.push_back(best);
  }
  return coords;
}

int64_t SearchSpace::index(const std::vector<int64_t> &coords) const {
  int64_t index = coords[0];
  for (size_t i = 0; i < parameters_.size(); ++i)
    index = index * static_cast<int64_t>(parameters_[i].values.size()) + coords[i + 1];
  return index;
}

std::optional<Candidate> SearchSpace::candidate(mlir::MLIRContext *ctx, int64_t index,
                                                std::string *why) const {
  // tile_n, tile_m, unroll_k, prefetch, streams, lanes
  int64_t values[6] = {lanes_, 1, 1, 0, 1, lanes_};
  static const char *const kNames[] = {"tile_n", "tile_m", "unroll_k", "prefetch", "streams",
                                       "lanes"};
  for (size_t i = parameters_.size(); i-- > 0;) {
    const ParameterRange &p = parameters_[i];
    int64_t size = static_cast<int64_t>(p.values.size());
    int64_t value = p.values[index % size];
    index /= size;
    for (int slot = 0; slot < 6; ++slot)
      if (p.name == kNames[slot])
        values[slot] = value;
  }
  Packing packing = packings_[index];
  std::string message;
  auto emitError = [&]() {
    return mlir::emitError(mlir::UnknownLoc::get(ctx));
  };
  // The verifier's diagnostics go to the context's handler: capture them.
  mlir::ScopedDiagnosticHandler capture(ctx, [&](mlir::Diagnostic &d) {
    message = d.str();
    return mlir::success();
  });
  KernelAttr kernel = KernelAttr::getChecked(emitError, ctx, strategy_, values[5], values[0],
                                             values[1], values[2], values[3], values[4]);
  if (!kernel) {
    if (why)
      *why = message;
    return std::nullopt;
  }
  return Candidate{strategy_, packing, kernel};
}

std::vector<Candidate> SearchSpace::candidates(mlir::MLIRContext *ctx) const {
  std::vector<Candidate> all;
  for (int64_t i = 0; i < points(); ++i)
    if (std::optional<Candidate> c = candidate(ctx, i))
      all.push_back(*c);
  return all;
}

SearchSpace searchSpaceFor(Strategy strategy, const TargetDesc &target, int64_t m) {
  const TargetBackend *backend = lookupTargetBackend(target.arch);
  int64_t lanes = backend->vectorLanes(target);
  switch (strategy) {
  case Strategy::mfree:
    return mfreeSearchSpace(lanes, m);
  case Strategy::lut:
    return lutSearchSpace(lanes, m);
  case Strategy::simt:
    return simtSearchSpace(m);
  case Strategy::amx:
    return amxSearchSpace();
  case Strategy::mma:
    return mmaSearchSpace();
  case Strategy::rowlut:
    return rowLutSearchSpace(lanes);
  }
  llvm_unreachable("unknown strategy");
}

std::vector<SearchSpace> allSearchSpaces(const TargetDesc &target, int64_t m) {
  // GPUs run simt kernels, and mma for m > 1; CPUs the others (the GPU
  // strategies run there only as the test of their logic).
  if (lookupTargetBackend(target.arch)->gpuMapping()) {
    if (m > 1)
      return {searchSpaceFor(Strategy::simt, target, m), searchSpaceFor(Strategy::mma, target, m)};
    return {searchSpaceFor(Strategy::simt, target, m)};
  }
  std::vector<SearchSpace> spaces = {searchSpaceFor(Strategy::mfree, target, m),
                                     searchSpaceFor(Strategy::lut, target, m)};
  // A rowlut table serves 32 activation rows; AMX tiles pay off where
  // activation rows share the decoded weights.
  if (m > 1)
    spaces.push_back(searchSpaceFor(Strategy::rowlut, target, m));
  if (m > 1 && target.hasFeature("amx-int8"))
    spaces.push_back(searchSpaceFor(Strategy::amx, target, m));
  return spaces;
}

} // namespace tern
