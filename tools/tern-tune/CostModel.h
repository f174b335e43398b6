//===- CostModel.h - rank kernels without running them ----------*- C++ -*-===//
//
// For targets this machine cannot run (an AArch64 core, another x86), the
// tuner ranks candidates statically. A candidate is compiled for the target
// to assembly; its innermost loop that does the arithmetic (the one with the
// most instructions among the innermost loops) goes to LLVM's machine code
// analyzer (llvm-mca) with the target's scheduling model, which gives the
// loop's cycles per iteration in steady state. With the work one iteration
// does (declared next to each strategy, SearchSpace::innerLoopMacs):
//   compute = m n k / work * cycles / (threads * GHz)
//   memory  = packed weight bytes / bandwidth (m = 1: weights stream)
//   time    = max(compute, memory)
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERNTUNE_COSTMODEL_H
#define TERN_TOOLS_TERNTUNE_COSTMODEL_H

#include "compiler/tuning/SearchSpace.h"
#include "tools/common/Statistics.h"

#include "llvm/Support/Error.h"

namespace tern {

struct CostModelParams {
  double ghz = 3.0;            // clock the cycles are converted at
  double bandwidthGBs = 20.0;  // memory read bandwidth of the target
  int64_t threads = 1;
  /// The scheduling model llvm-mca uses ("": the target's CPU). LLVM's
  /// models lag new cores: znver5's charges vpdpbusd zmm twice its cost,
  /// and znver4's is the closer model of Zen 5 there.
  std::string mcaCpu;
};

struct Prediction {
  double cyclesPerIteration = 0; // llvm-mca's block reciprocal throughput
  int64_t macsPerIteration = 0;
  double computeUs = 0, memoryUs = 0;
  double us() const { return std::max(computeUs, memoryUs); }
};

/// The innermost arithmetic loop of `assembly` (AT&T or AArch64 syntax, as
/// LLVM prints it): its instructions, one per line, or "" if none.
std::string hottestInnerLoop(llvm::StringRef assembly);

llvm::Expected<Prediction> predict(mlir::MLIRContext *ctx, const TargetDesc &target,
                                   const Candidate &c, int64_t m, int64_t n, int64_t k,
                                   const CostModelParams &params);

} // namespace tern

#endif // TERN_TOOLS_TERNTUNE_COSTMODEL_H
