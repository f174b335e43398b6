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
// GPU kernels (the simt strategy) are estimated from a machine description
// instead (targets/descriptions): bandwidth and occupancy. By Little's law
// the warps resident on the SMs the grid covers, each with one word per
// thread and unrolled chunk in flight, sustain
//   resident warps x 128 B x unroll_k / DRAM latency
// of the description's streaming bandwidth; the warps' integer and dp4a
// instructions (about one per weight and activation row, decoding shared by
// tile_m rows) run at the SMs' int32 lanes; time = max + (1 - overlap) min
// + the launch.
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERNTUNE_COSTMODEL_H
#define TERN_TOOLS_TERNTUNE_COSTMODEL_H

#include "compiler/tuning/SearchSpace.h"
#include "targets/MachineDescription.h"
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

/// The clock, bandwidth and threads of a described machine.
CostModelParams costModelParams(const MachineDescription &machine, int64_t threads);

/// The bandwidth/occupancy estimate of a simt candidate on a described GPU.
llvm::Expected<Prediction> predictGpu(const MachineDescription &gpu, const Candidate &c, int64_t m,
                                      int64_t n, int64_t k);

llvm::Expected<Prediction> predict(mlir::MLIRContext *ctx, const TargetDesc &target,
                                   const Candidate &c, int64_t m, int64_t n, int64_t k,
                                   const CostModelParams &params);

} // namespace tern

#endif // TERN_TOOLS_TERNTUNE_COSTMODEL_H
