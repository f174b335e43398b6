//===- KernelChoice.h - which kernel runs a ternary matmul ------*- C++ -*-===//
//
// The fastest measured candidate from the tuning database where it has one
// for this machine, shape and thread count (and fits the constraints: a
// strategy or packing asked for, or the weight layout another kernel reading
// the same weights already fixed); otherwise the strategy's documented
// default. Either way the choice says why, for `ternc --kernel-report`.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_COMPILER_TUNING_KERNELCHOICE_H
#define TERN_COMPILER_TUNING_KERNELCHOICE_H

#include "compiler/tuning/SearchSpace.h"
#include "compiler/tuning/TuningDb.h"

#include <optional>

namespace tern {

struct KernelRequest {
  int64_t m = 1, n = 0, k = 0;
  int64_t threads = 1;
  std::optional<Strategy> strategy; // unset: any
  std::optional<Packing> packing;   // unset: any (of the strategy)
  std::optional<int64_t> tileN;     // set: the weight layout is fixed,
  std::optional<int64_t> slabs;     // with its K slabs (KernelLayouts.h)
};

struct KernelChoice {
  Candidate candidate;
  std::string reason;
};

/// The strategy's packing when none is asked for: i2 for mfree, lut3 for lut,
/// idx3 for rowlut.
Packing defaultPacking(Strategy strategy);

/// The documented default kernel of `strategy` for an m-row matmul.
KernelAttr defaultKernel(mlir::MLIRContext *ctx, const TargetDesc &target, Strategy strategy,
                         int64_t m);

/// Chooses as the file comment says; `db` may be null (no tuning data).
KernelChoice chooseKernel(mlir::MLIRContext *ctx, const TargetDesc &target,
                          const KernelRequest &request, TuningDb *db);

/// A weight layout that decode and prefill kernels share.
struct SharedLayout {
  Packing packing;
  int64_t tileN;
  std::string reason;
};

/// For weights read by a decode (m = 1) and a prefill (m = prefillRows)
/// kernel: the layout whose fastest measured kernels cost least for as many
/// prompt tokens as generated ones (decode time plus prefill time per row).
/// Nullopt where no layout has measurements of both.
std::optional<SharedLayout> chooseSharedLayout(const TargetDesc &target, int64_t n, int64_t k,
                                               int64_t threads, int64_t prefillRows,
                                               TuningDb &db);

} // namespace tern

#endif // TERN_COMPILER_TUNING_KERNELCHOICE_H
