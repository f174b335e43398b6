//===- KernelChoice.cpp ---------------------------------------------------===//
#include "compiler/tuning/KernelChoice.h"
#include "compiler/lowering/KernelLayouts.h"
#include "compiler/lowering/amx/AmxMatmul.h"
#include "compiler/lowering/lut/LutMatmul.h"
#include "compiler/lowering/mfree/MfreeMatmul.h"
#include "compiler/lowering/mma/MmaMatmul.h"
#include "compiler/lowering/rowlut/RowLutMatmul.h"
#include "compiler/lowering/simt/SimtMatmul.h"

#include "mlir/AsmParser/AsmParser.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace tern {

Packing defaultPacking(Strategy strategy) {
  switch (strategy) {
  case Strategy::lut:
    return Packing::lut3;
  case Strategy::rowlut:
    return Packing::idx3;
  default:
    return Packing::i2;
  }
}

KernelAttr defaultKernel(mlir::MLIRContext *ctx, const TargetDesc &target, Strategy strategy,
                         int64_t m) {
  const TargetBackend *backend = lookupTargetBackend(target.arch);
  int64_t lanes = backend->vectorLanes(target);
  switch (strategy) {
  case Strategy::mfree:
    return defaultMfreeKernel(ctx, lanes, backend->vectorRegisters(target), m);
  case Strategy::lut:
    return defaultLutKernel(ctx, lanes, m);
  case Strategy::simt:
    return defaultSimtKernel(ctx, m);
  case Strategy::amx:
    return defaultAmxKernel(ctx);
  case Strategy::mma:
    return defaultMmaKernel(ctx);
  case Strategy::rowlut:
    return defaultRowLutKernel(ctx, lanes, backend->vectorRegisters(target));
  }
  llvm_unreachable("unknown strategy");
}

namespace {

std::string microseconds(double us) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f us", us);
  return text;
}

/// The strategy when none is asked for: simt on GPUs; AMX tiles for m > 1
/// where the CPU has them and the weights can be its i2 or base3 layout
/// (about 3x mfree at m = 128 on an Intel Xeon, README); rowlut for m > 1
/// where int8 dot products are slow and the layout is free; else mfree.
Strategy defaultStrategy(mlir::MLIRContext *ctx, const TargetDesc &target,
                         const KernelRequest &request) {
  const TargetBackend *backend = lookupTargetBackend(target.arch);
  if (backend->gpuMapping())
    return Strategy::simt;
  bool mfreeLayout = (!request.packing || *request.packing == Packing::i2 ||
                      *request.packing == Packing::base3) &&
                     backend->vectorLanes(target) == 16;
  if (request.m > 1 && mfreeLayout &&
      amxSupports(target, request.k, request.tileN.value_or(defaultAmxKernel(ctx).getTileN()),
                  /*unrollK=*/1))
    return Strategy::amx;
  // Where an int8 dot product takes two instructions (x86 without VNNI),
  // rowlut's one add per 3 weights of 32 rows is faster (README: 157-171
  // against 128-136 GMAC/s a thread with AVX2). Not where a decode kernel
  // has fixed the layout: rowlut's is its own.
  bool layoutFree = !request.packing && !request.tileN && !request.slabs;
  if (request.m > 1 && layoutFree &&
      backend->prefersInt16Vdot(target, backend->vectorLanes(target)))
    return Strategy::rowlut;
  return request.packing ? strategyForPacking(*request.packing) : Strategy::mfree;
}

/// `kernel` reading the K slabs the request fixes, where its strategy can;
/// else as it is (the weight placement then names the mismatch).
KernelAttr onRequestedSlabs(KernelAttr kernel, const KernelRequest &request) {
  KernelAttr slabbed = request.slabs ? withSlabs(kernel, *request.slabs) : nullptr;
  return slabbed ? slabbed : kernel;
}

/// The default, with tile_n moved to a fixed layout's where one is asked.
Candidate defaultCandidate(mlir::MLIRContext *ctx, const TargetDesc &target,
                           const KernelRequest &request) {
  Strategy strategy = request.strategy.value_or(defaultStrategy(ctx, target, request));
  KernelAttr kernel = defaultKernel(ctx, target, strategy, request.m);
  // rowlut's parallel tasks are coarse (each builds its own tables): one a
  // thread, for the threads the kernel is chosen for (at least 2).
  if (strategy == Strategy::rowlut)
    kernel = KernelAttr::get(ctx, strategy, kernel.getLanes(), kernel.getTileN(), kernel.getTileM(),
                             kernel.getUnrollK(), kernel.getPrefetch(),
                             std::clamp<int64_t>(request.threads, 2, 8));
  if (request.tileN && *request.tileN != kernel.getTileN()) {
    // amx pairs blocks whose weight tiles do not divide into its groups,
    // where the decoded pair fits the stack; else it steps one tile at a time.
    int64_t unrollK = kernel.getUnrollK();
    if (strategy == Strategy::amx &&
        ((2 * *request.tileN / kernel.getLanes()) % unrollK != 0 ||
         !amxSupports(target, request.k, *request.tileN, unrollK)))
      unrollK = 1;
    // An mfree prefill tile on a wider layout keeps about the default's
    // accumulators (tile_m x tile_n / lanes), with at least 2 rows to share
    // each weight load: with AVX2 and decode's tile_n = 32 (48, 64), 2 rows
    // ran 115-123 (105, 96) GMAC/s a thread where 3 ran 105-107 (94, 92)
    // and 1 ran 69-77 (README).
    int64_t tileM = kernel.getTileM();
    if (strategy == Strategy::mfree && request.m > 1 && *request.tileN > kernel.getTileN())
      tileM = std::min(tileM, std::max<int64_t>(2, (tileM * kernel.getTileN() + *request.tileN - 1) /
                                                       *request.tileN));
    kernel = KernelAttr::get(ctx, strategy, kernel.getLanes(), *request.tileN, tileM, unrollK,
                             kernel.getPrefetch(), kernel.getStreams());
  }
  return {strategy, request.packing.value_or(defaultPacking(strategy)),
          onRequestedSlabs(kernel, request)};
}

} // namespace

KernelChoice chooseKernel(mlir::MLIRContext *ctx, const TargetDesc &target,
                          const KernelRequest &request, TuningDb *db) {
  Candidate fallback = defaultCandidate(ctx, target, request);
  if (!db)
    return {fallback, "the documented default (no tuning database)"};
  TuningKey key = TuningKey::of(target, request.n, request.k, request.m, request.threads);
  llvm::Expected<std::vector<Measurement>> rows = db->measurements(key);
  if (!rows)
    return {fallback, "the documented default (the tuning database could not be read: " +
                          llvm::toString(rows.takeError()) + ")"};
  int64_t measured = 0;
  const Measurement *best = nullptr;
  std::optional<Candidate> chosen;
  double defaultUs = 0;
  for (const Measurement &row : *rows) {
    if (row.status != "ok")
      continue;
    ++measured;
    std::optional<Strategy> strategy = symbolizeStrategy(row.strategy);
    std::optional<Packing> packing = symbolizePacking(row.packing);
    auto kernel = llvm::dyn_cast_or_null<KernelAttr>(mlir::parseAttribute(row.kernel, ctx));
    if (!strategy || !packing || !kernel)
      continue;
    // Prefill kernels (the ones asked for fixed slabs) decode each block's
    // weights once, so the slabs they read them from hardly change their
    // time: the measured kernel, reading the fixed slabs.
    Candidate c{*strategy, *packing, onRequestedSlabs(kernel, request)};
    if (c.key() == fallback.key())
      defaultUs = row.medianUs;
    bool fits = (!request.strategy || *request.strategy == *strategy) &&
                (!request.packing || *request.packing == *packing) &&
                (!request.tileN || *request.tileN == kernel.getTileN()) &&
                (!request.slabs || kernelSlabs(c.kernel) == *request.slabs);
    if (fits && !best) {
      best = &row;
      chosen = c;
    }
  }
  if (!best)
    return {fallback, "the documented default (" +
                          (measured == 0 ? "no measurements for " + key.describe()
                                         : std::to_string(measured) + " measured for " +
                                               key.describe() + ", none fitting the constraints") +
                          ")"};
  std::string reason = "tuned: the fastest of " + std::to_string(measured) + " candidates measured for " +
                       key.describe() + " (" + microseconds(best->medianUs) + " median";
  if (defaultUs > 0)
    reason += ", the default " + microseconds(defaultUs);
  reason += ")";
  return {*chosen, reason};
}

std::optional<SharedLayout> chooseSharedLayout(const TargetDesc &target, int64_t n, int64_t k,
                                               int64_t threads, int64_t prefillRows,
                                               TuningDb &db) {
  using Layout = std::pair<std::string, int64_t>; // packing, tile_n
  // The fastest measurement per layout (rows come fastest first).
  auto fastest = [&](int64_t m) {
    std::map<Layout, double> best;
    llvm::Expected<std::vector<Measurement>> rows =
        db.measurements(TuningKey::of(target, n, k, m, threads));
    if (!rows) {
      llvm::consumeError(rows.takeError());
      return best;
    }
    for (const Measurement &row : *rows)
      if (row.status == "ok")
        best.try_emplace({row.packing, row.tileN}, row.medianUs);
    return best;
  };
  std::map<Layout, double> decode = fastest(1), prefill = fastest(prefillRows);
  std::optional<Layout> chosen;
  double chosenCost = 0;
  std::string alternatives;
  for (auto &[layout, decodeUs] : decode) {
    auto it = prefill.find(layout);
    if (it == prefill.end())
      continue;
    double cost = decodeUs + it->second / static_cast<double>(prefillRows);
    char text[160];
    std::snprintf(text, sizeof(text), "%s tile_n %lld: %.1f + %.1f us / %lld rows",
                  layout.first.c_str(), static_cast<long long>(layout.second), decodeUs,
                  it->second, static_cast<long long>(prefillRows));
    alternatives += (alternatives.empty() ? "" : "; ") + std::string(text);
    if (!chosen || cost < chosenCost) {
      chosen = layout;
      chosenCost = cost;
    }
  }
  std::optional<Packing> packing = chosen ? symbolizePacking(chosen->first) : std::nullopt;
  if (!packing)
    return std::nullopt;
  return SharedLayout{*packing, chosen->second,
                      "the layout with the least decode time plus prefill time per row (" +
                          alternatives + ")"};
}

} // namespace tern
