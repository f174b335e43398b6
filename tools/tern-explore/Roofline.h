//===- Roofline.h - predicted time and energy of ops on a described machine -===//
//
// For every op, what it moves (DRAM or cache bytes) and what it computes
// (int8 multiply-accumulates, byte lookups, simple integer operations, fp32
// operations, ternary weights on hardware that has a ternary unit), counted
// the way Tern's lowerings compute it, over the machine's rates:
//
//   memory  = streamed bytes / bandwidth of the level holding them
//             + activation bytes / L1 bandwidth
//   compute = max over units of work / (rate per cycle x GHz x threads used)
//   time    = max(memory, compute) + (1 - overlap) min(memory, compute)
//             + launch overhead (parallel ops)
//
// The bound of an op is the larger of memory and compute, or the launch when
// it outweighs both. A ternary matmul is predicted for each kernel the
// machine can run (mfree on i2 and base3, lut with the largest group its
// table unit holds, tern.tdot where declared; simt on GPUs) and the fastest
// is chosen, as ternc does from measurements; prefill keeps the packing
// decode chose.
// Dot products and lookups also take their byte lanes of the vector issue
// width (int_ops_per_cycle).
//
//===----------------------------------------------------------------------===//
#ifndef TERN_TOOLS_TERNEXPLORE_ROOFLINE_H
#define TERN_TOOLS_TERNEXPLORE_ROOFLINE_H

#include "targets/MachineDescription.h"
#include "tools/tern-explore/ModelWork.h"

#include <string>
#include <vector>

namespace tern::explore {

/// A way to run a ternary matmul, with its work per call.
struct MatmulKernel {
  std::string name; // "mfree/i2", "mfree/base3", "lut/g3", "tdot/base3"
  double bitsPerWeight = 0;
  double int8Macs = 0, intOps = 0, lookupBytes = 0, ternaryWeights = 0;
};

/// The kernels `machine` can run for an n x k matmul over m rows.
std::vector<MatmulKernel> matmulKernels(const MachineDescription &machine, int64_t n, int64_t k,
                                        int64_t m);
/// Weights per lookup-table group for a table unit of `entries` entries:
/// the largest g whose (3^g + 1) / 2 sign-folded sums fit (at least 2).
int64_t lutGroup(int64_t entries);

struct Prediction {
  std::string kernel; // bitlinear: the chosen kernel
  double seconds = 0, memorySeconds = 0, computeSeconds = 0, launchSeconds = 0;
  std::string bound; // "dram", "L2", "int8_dot", "lookup", "int_ops", "fp32", "ternary", "launch"
  double dramBytes = 0, cacheBytes = 0;
  double joules = 0;
};

/// Where streamed data lives: "dram" or a cache level ("L3").
struct Residency {
  const MachineDescription::Cache *cache = nullptr; // null: DRAM
};

/// "i2", "base3", "g3": the weight packing a kernel ("mfree/i2") reads.
std::string packingOf(const std::string &kernel);

/// One call of `work` on `threads` cores; a bitlinear with `kernel`, else the
/// fastest of matmulKernels (reading `packing` if not empty).
Prediction predictOp(const MachineDescription &machine, const OpWork &work, int64_t threads,
                     Residency residency, const MatmulKernel *kernel = nullptr,
                     const std::string &packing = "");

struct StepPrediction {
  std::vector<std::pair<OpWork, Prediction>> ops; // per call
  double seconds = 0, joules = 0, dramBytes = 0;
  std::string residency; // where the streamed bytes live
};

/// A whole step: every op times its calls. The data it streams (weights,
/// KV cache) lives in the innermost cache that holds all of it, else DRAM.
/// With `layouts` (the decode step's prediction), each weight keeps the
/// packing chosen there, as in a compiled model where prefill reads the
/// layout decode chose.
StepPrediction predictStep(const MachineDescription &machine, const std::vector<OpWork> &work,
                           int64_t threads, const StepPrediction *layouts = nullptr);


} // namespace tern::explore

#endif // TERN_TOOLS_TERNEXPLORE_ROOFLINE_H
